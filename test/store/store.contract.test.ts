import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Settings } from '../../src/config/load.js';
import { openStore, redactRedisUrl } from '../../src/store/index.js';
import type { NamespaceName, Store } from '../../src/store/types.js';
import { redisUrl } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

type Kind = 'sqlite' | 'redis';

/** Settings for a fresh store: a new SQLite file, or the shared test Redis. */
function settingsFor(kind: Kind): Settings['store'] {
  const dir = tmpDir('store');
  return {
    redisUrl: kind === 'redis' ? redisUrl() : undefined,
    dataDir: join(dir, 'data'),
    sqlitePath: join(dir, 'data', 'restyle.sqlite'),
    connectTimeoutMs: 2_000,
  };
}

async function openTracked(settings: Settings['store']): Promise<Store> {
  const store = await openStore(settings);
  open.push(store);
  return store;
}

// The shared Redis outlives each test (and serves other files): keep keys unique per test.
const uid = (s: string): string => `${s}-${process.pid}-${Math.random().toString(36).slice(2)}`;

async function list<T>(store: Store, name: NamespaceName, prefix: string): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for await (const [k, v] of store.ns<T>(name).entries()) {
    if (!k.startsWith(prefix)) continue;
    expect(out.has(k), `${k} listed twice`).toBe(false);
    out.set(k, v);
  }
  return out;
}

describe.each<Kind>(['sqlite', 'redis'])('store contract: %s', (kind) => {
  it('opens the backend the settings ask for', async () => {
    const store = await openTracked(settingsFor(kind));
    expect(store.kind).toBe(kind);
    if (kind === 'sqlite') expect(store.location).toMatch(/restyle\.sqlite$/);
    else expect(store.location).toBe(redactRedisUrl(redisUrl()));
  });

  it('get/set/delete round-trip objects, and namespaces are isolated', async () => {
    const store = await openTracked(settingsFor(kind));
    const k = uid('k');
    type V = { n: number; s: string[]; nested: { ok: boolean; none: null }; colon: string };
    const value: V = { n: 1.5, s: ['x', 'é', '💬'], nested: { ok: true, none: null }, colon: ':starts with a colon' };
    const a = store.ns<V>('samples');
    const b = store.ns<V>('feedback');
    expect(await a.get(k)).toBeUndefined();
    await a.set(k, value);
    expect(await a.get(k)).toEqual(value);
    expect(await b.get(k)).toBeUndefined();
    await b.set(k, { ...value, n: 2 });
    expect(await b.delete(k)).toBe(true);
    expect(await a.get(k)).toEqual(value); // deleting in one namespace leaves the other alone
    await a.set(k, { ...value, n: 3 }); // overwrite
    expect((await a.get(k))?.n).toBe(3);
    expect(await a.delete(k)).toBe(true);
    expect(await a.delete(k)).toBe(false);
    expect(await a.get(k)).toBeUndefined();
  });

  it('a key that starts with the namespace name is a key like any other', async () => {
    const store = await openTracked(settingsFor(kind));
    const p = uid('x');
    const meta = store.ns<string>('meta');
    await meta.set(p, 'plain');
    await meta.set(`meta:${p}`, 'prefixed');
    expect(await meta.get(p)).toBe('plain');
    expect(await meta.get(`meta:${p}`)).toBe('prefixed');
    const listed = new Map<string, string>();
    for await (const [k, v] of meta.entries()) if (k.endsWith(p)) listed.set(k, v);
    expect(listed).toEqual(new Map([[p, 'plain'], [`meta:${p}`, 'prefixed']]));
  });

  it('entries lists exactly the namespace, decoded (underscores, colons and % in keys included)', async () => {
    const store = await openTracked(settingsFor(kind));
    const p = uid('e');
    const ns = store.ns<{ key: string; i: number }>('channels');
    const keys = [`${p}:slack:C_1`, `${p}:discord:2`, `${p}_x`, `${p}%`, `${p}:`];
    for (const [i, k] of keys.entries()) await ns.set(k, { key: k, i });
    await store.ns<string>('meta').set(`${p}:other`, 'other namespace');
    await store.ns<string>('cache').set(`${p}:slack:C_1`, 'same key, other namespace');
    // A SQLite store here is a fresh file: all of it must be ours. The shared Redis may hold other tests' keys.
    const listed = await list<{ key: string; i: number }>(store, 'channels', kind === 'sqlite' ? '' : p);
    expect([...listed.keys()].sort()).toEqual([...keys].sort());
    for (const [i, k] of keys.entries()) expect(listed.get(k)).toEqual({ key: k, i });
  });

  it('entries pages through a large namespace, each entry once', async () => {
    const store = await openTracked(settingsFor(kind));
    const p = uid('many');
    const ns = store.ns<number>('samples');
    const n = 450; // more than one SQLite page (200) and many SCAN batches
    await Promise.all(Array.from({ length: n }, (_, i) => ns.set(`${p}:${String(i).padStart(4, '0')}`, i)));
    const listed = await list<number>(store, 'samples', p);
    expect(listed.size).toBe(n);
    expect([...listed.values()].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('values expire after their TTL, in get and in entries', async () => {
    const store = await openTracked(settingsFor(kind));
    const p = uid('ttl');
    const ns = store.ns<string>('cache');
    // Long enough that the checks below run before expiry however busy the machine is.
    await ns.set(`${p}:unread`, 'short, never read', 2_000); // set first: expires no later than the next one
    await ns.set(`${p}:read`, 'short', 2_000);
    await ns.set(`${p}:long`, 'long', 60_000);
    expect(await ns.get(`${p}:read`)).toBe('short');
    expect([...(await list(store, 'cache', p)).keys()].sort()).toEqual([`${p}:long`, `${p}:read`, `${p}:unread`]);
    await vi.waitFor(async () => expect(await ns.get(`${p}:read`)).toBeUndefined(), { timeout: 15_000, interval: 50 });
    // `unread` was never read back, so only entries() itself can leave it out.
    expect([...(await list(store, 'cache', p)).keys()]).toEqual([`${p}:long`]);
    expect(await ns.get(`${p}:long`)).toBe('long');
  });

  it('a TTL that is not a positive number is refused, not read as "forever"', async () => {
    const store = await openTracked(settingsFor(kind));
    const k = uid('badttl');
    for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.ns<string>('cache').set(k, 'v', ttl)).rejects.toMatchObject({ name: 'RestyleError', code: 'store_error' });
      await expect(store.claim(k, ttl)).rejects.toMatchObject({ name: 'RestyleError', code: 'store_error' });
    }
    expect(await store.ns<string>('cache').get(k)).toBeUndefined();
    await store.ns<string>('cache').set(k, 'fractional ttl is fine', 60_000.5);
    expect(await store.ns<string>('cache').get(k)).toBe('fractional ttl is fine');
  });

  it('claim: first wins, repeats lose, expiry and release free it', async () => {
    const store = await openTracked(settingsFor(kind));
    const k = uid('claim');
    expect(await store.claim(k, 100)).toBe(true);
    expect(await store.claim(k, 100)).toBe(false);
    await vi.waitFor(async () => expect(await store.claim(k, 60_000)).toBe(true), { timeout: 5_000, interval: 20 });
    expect(await store.claim(k, 60_000)).toBe(false);
    await store.release(k);
    expect(await store.claim(k, 60_000)).toBe(true);
    expect(await store.claim(`${k}-other`, 60_000)).toBe(true); // claims are per key
    await store.release(`${k}-never-claimed`); // releasing nothing is fine
  });

  it('claims and namespaces do not see each other', async () => {
    const store = await openTracked(settingsFor(kind));
    const k = uid('sep');
    expect(await store.claim(k, 60_000)).toBe(true);
    for (const name of ['dedupe', 'meta'] as const) {
      expect(await store.ns(name).get(k)).toBeUndefined();
      expect((await list(store, name, k)).size).toBe(0);
    }
  });

  it('50 concurrent claims of one key: exactly one wins', async () => {
    const store = await openTracked(settingsFor(kind));
    const k = uid('race');
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(k, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('two Store instances on the same data: exactly one wins each claim, and they share values', async () => {
    const settings = settingsFor(kind); // for SQLite: the same file, as the bot and the CLI would
    const a = await openTracked(settings);
    const b = await openTracked(settings);
    const p = uid('two');
    for (let i = 0; i < 10; i++) {
      const k = `${p}:${i}`;
      const wins = await Promise.all(Array.from({ length: 20 }, (_, j) => (j % 2 ? a : b).claim(k, 60_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    }
    await Promise.all([a.ns<string>('meta').set(`${p}:a`, 'from a'), b.ns<string>('meta').set(`${p}:b`, 'from b')]);
    expect(await b.ns<string>('meta').get(`${p}:a`)).toBe('from a');
    expect(await a.ns<string>('meta').get(`${p}:b`)).toBe('from b');
    await a.release(`${p}:0`);
    expect(await b.claim(`${p}:0`, 60_000)).toBe(true);
  });

  it('ping answers, data survives close and reopen, and a closed store refuses work', async () => {
    const settings = settingsFor(kind);
    const k = uid('persist');
    const first = await openStore(settings);
    await first.ping();
    await first.ns<{ n: number }>('samples').set(k, { n: 42 });
    expect(await first.claim(k, 60_000)).toBe(true);
    await first.close();
    await first.close(); // idempotent
    for (const call of [() => first.ping(), () => first.ns('samples').get(k), () => first.claim(`${k}-2`, 1_000)]) {
      await expect(call()).rejects.toMatchObject({ name: 'RestyleError', code: 'store_unavailable', message: expect.stringMatching(/closed/) });
    }
    const second = await openTracked(settings);
    await second.ping();
    expect(await second.ns<{ n: number }>('samples').get(k)).toEqual({ n: 42 });
    expect(await second.claim(k, 60_000)).toBe(false); // claims persist too
  });

  it('using every namespace at once prints no listener-leak warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = await openTracked(settingsFor(kind));
      const names: NamespaceName[] = ['cache', 'channels', 'samples', 'dedupe', 'feedback', 'replies', 'jobs', 'models', 'previews', 'meta'];
      const k = uid('all');
      await Promise.all(names.map((name) => store.ns<string>(name).set(k, name)));
      expect(await Promise.all(names.map((name) => store.ns<string>(name).get(k)))).toEqual(names);
      // The Redis is shared with other test files that list whole namespaces: leave nothing behind.
      await Promise.all(names.map((name) => store.ns<string>(name).delete(k)));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

/** A plain second connection to the file, to look at what is really stored. */
async function rawQuery(path: string, sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
  const db = new KeyvSqlite({ uri: `sqlite://${path}` });
  try {
    return (await db.query(sql, ...params)) as Array<Record<string, unknown>>;
  } finally {
    await db.disconnect();
  }
}

describe('sqlite store specifics', () => {
  it('uses WAL, so the bot and the CLI can share the file', async () => {
    const settings = settingsFor('sqlite');
    const store = await openTracked(settings);
    await store.ns<string>('meta').set('k', 'v');
    expect(existsSync(`${settings.sqlitePath}-wal`)).toBe(true);
    expect(await rawQuery(settings.sqlitePath, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  });

  it('stores keys as "<namespace>:<key>", and sweeps expired values and claims when opened', async () => {
    const settings = settingsFor('sqlite');
    const first = await openStore(settings);
    const cache = first.ns<string>('cache');
    expect(await first.claim('gone', 50)).toBe(true); // first: expires no later than the value below
    expect(await first.claim('kept', 60_000)).toBe(true);
    await cache.set('gone', 'short', 50);
    await cache.set('kept', 'long', 60_000);
    // Wait through entries(), which skips expired rows without deleting them: both stay in the file.
    await vi.waitFor(
      async () => {
        const keys: string[] = [];
        for await (const [k] of cache.entries()) keys.push(k);
        expect(keys).toEqual(['kept']);
      },
      { timeout: 5_000, interval: 20 },
    );
    await first.close();
    expect((await rawQuery(settings.sqlitePath, 'SELECT key FROM keyv ORDER BY key')).map((r) => r.key)).toEqual(['cache:gone', 'cache:kept']);
    expect((await rawQuery(settings.sqlitePath, 'SELECT key FROM restyle_claims ORDER BY key')).map((r) => r.key)).toEqual(['gone', 'kept']);

    await openTracked(settings);
    expect((await rawQuery(settings.sqlitePath, 'SELECT key FROM keyv ORDER BY key')).map((r) => r.key)).toEqual(['cache:kept']);
    expect((await rawQuery(settings.sqlitePath, 'SELECT key FROM restyle_claims ORDER BY key')).map((r) => r.key)).toEqual(['kept']);
  });

  it('an unusable data dir is a clear store_unavailable error naming the path', async () => {
    const file = join(tmpDir('bad'), 'a-file');
    writeFileSync(file, 'not a directory');
    const dataDir = join(file, 'data');
    const error = await openStore({ redisUrl: undefined, dataDir, sqlitePath: join(dataDir, 'restyle.sqlite'), connectTimeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RestyleError', code: 'store_unavailable', message: expect.stringContaining(dataDir) });
    expect((error as Error).message).not.toMatch(/\n/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('a file that is not a database is a store_error naming the file', async () => {
    const dir = tmpDir('notadb');
    const sqlitePath = join(dir, 'restyle.sqlite');
    writeFileSync(sqlitePath, 'this is not a SQLite database, just some text long enough to have a header '.repeat(20));
    await expect(openStore({ redisUrl: undefined, dataDir: dir, sqlitePath, connectTimeoutMs: 1_000 })).rejects.toMatchObject({
      name: 'RestyleError',
      code: 'store_error',
      message: expect.stringContaining(sqlitePath),
    });
  });
});
