import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { redisUrl } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

type Kind = 'sqlite' | 'redis';
let runId = 0;
async function make(kind: Kind): Promise<Store> {
  runId += 1;
  const dir = tmpDir('store');
  const store =
    kind === 'sqlite'
      ? await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 1000 })
      : await openStore({ redisUrl: redisUrl(), dataDir: dir, sqlitePath: '', connectTimeoutMs: 1000 });
  open.push(store);
  return store;
}
// Redis is shared by the run: keep keys unique per test.
const uid = (s: string) => `${s}-${process.pid}-${runId}-${Math.random().toString(36).slice(2)}`;

describe.each<Kind>(['sqlite', 'redis'])('store contract: %s', (kind) => {
  it('get/set/delete round-trip objects, per namespace', async () => {
    const store = await make(kind);
    const k = uid('k');
    const a = store.ns<{ n: number; s: string[] }>('samples');
    const b = store.ns<{ n: number; s: string[] }>('feedback');
    expect(await a.get(k)).toBeUndefined();
    await a.set(k, { n: 1, s: ['x', 'é'] });
    expect(await a.get(k)).toEqual({ n: 1, s: ['x', 'é'] });
    expect(await b.get(k)).toBeUndefined();
    expect(await a.delete(k)).toBe(true);
    expect(await a.delete(k)).toBe(false);
    expect(await a.get(k)).toBeUndefined();
  });

  it('entries lists exactly the namespace (underscores and colons in keys included)', async () => {
    const store = await make(kind);
    const p = uid('e');
    const ns = store.ns<string>('channels');
    const keys = [`${p}:slack:C_1`, `${p}:discord:2`, `${p}_x`];
    for (const k of keys) await ns.set(k, k.toUpperCase());
    await store.ns<string>('meta').set(`${p}:other`, 'no');
    const listed = new Map<string, string>();
    for await (const [k, v] of ns.entries()) if (k.startsWith(p)) listed.set(k, v);
    expect([...listed.keys()].sort()).toEqual([...keys].sort());
    expect(listed.get(keys[0]!)).toBe(keys[0]!.toUpperCase());
  });

  it('values expire after their TTL, in get and in entries', async () => {
    const store = await make(kind);
    const k = uid('ttl');
    const ns = store.ns<string>('cache');
    await ns.set(k, 'short', 150);
    await ns.set(`${k}-long`, 'long', 60_000);
    expect(await ns.get(k)).toBe('short');
    await vi.waitFor(async () => expect(await ns.get(k)).toBeUndefined(), { timeout: 3000, interval: 50 });
    const keys: string[] = [];
    for await (const [key] of ns.entries()) keys.push(key);
    expect(keys).toContain(`${k}-long`);
    expect(keys).not.toContain(k);
  });

  it('claim: first wins, repeats lose, expiry and release free it', async () => {
    const store = await make(kind);
    const k = uid('claim');
    expect(await store.claim(k, 200)).toBe(true);
    expect(await store.claim(k, 200)).toBe(false);
    await vi.waitFor(async () => expect(await store.claim(k, 60_000)).toBe(true), { timeout: 3000, interval: 50 });
    expect(await store.claim(k, 60_000)).toBe(false);
    await store.release(k);
    expect(await store.claim(k, 60_000)).toBe(true);
  });

  it('50 concurrent claims of one key: exactly one wins', async () => {
    const store = await make(kind);
    const k = uid('race');
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(k, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('ping works, and data survives close and reopen', async () => {
    const dir = tmpDir('persist');
    const settings = { redisUrl: kind === 'redis' ? redisUrl() : undefined, dataDir: dir, sqlitePath: join(dir, 'r.sqlite'), connectTimeoutMs: 1000 };
    const k = uid('persist');
    const first = await openStore(settings);
    await first.ping();
    await first.ns<number>('samples').set(k, 42);
    await first.close();
    const second = await openStore(settings);
    open.push(second);
    expect(await second.ns<number>('samples').get(k)).toBe(42);
  });
});

describe('sqlite store across processes', () => {
  it('two stores on one file never both win a claim', async () => {
    const dir = tmpDir('two');
    const path = join(dir, 'shared.sqlite');
    const a = await openSqliteStore(path);
    const b = await openSqliteStore(path);
    open.push(a, b);
    for (let i = 0; i < 20; i++) {
      const wins = await Promise.all([a.claim(`k${i}`, 60_000), b.claim(`k${i}`, 60_000)]);
      expect(wins.filter(Boolean)).toHaveLength(1);
    }
    await a.ns<string>('meta').set('x', 'from a');
    expect(await b.ns<string>('meta').get('x')).toBe('from a');
  });

  it('an unusable data dir is a clear store_unavailable error naming the path', async () => {
    const file = join(tmpDir('bad'), 'a-file');
    writeFileSync(file, 'not a directory');
    const path = join(file, 'data', 'restyle.sqlite');
    await expect(openSqliteStore(path)).rejects.toMatchObject({ code: 'store_unavailable', message: expect.stringContaining(path) });
  });
});
