import { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedbackRepository } from '../../src/samples/feedback.js';
import { SampleRepository, type SampleFilter } from '../../src/samples/repository.js';
import type { Sample, SampleStatus } from '../../src/samples/types.js';
import { openStore } from '../../src/store/index.js';
import { openRedisStore } from '../../src/store/redis.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { writeUnindexed } from '../support/unindexed-store.js';

const sample = (id: string, extra: Partial<Sample> = {}): Sample => ({
  id,
  kind: 'styled',
  status: 'pending',
  source: 'reaction',
  style: 'loud',
  platform: 'slack',
  channel: 'slack:C1',
  savedBy: 'slack:UANA',
  styled: `text of ${id}`,
  createdAt: `2025-01-01T00:00:0${id.length % 10}.000Z`,
  ...extra,
});

const backends: Array<[string, () => Promise<Store>]> = [
  ['sqlite', async () => { const dir = tmpDir('samples'); return openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/s.sqlite`, connectTimeoutMs: 1000 }); }],
  // A Redis of this test's own: the shared one is used by other files at the same time.
  ['redis', async () => openStore({ redisUrl: (await startRedis()).url, dataDir: '', sqlitePath: '', connectTimeoutMs: 1000 })],
];

describe.each(backends)('SampleRepository on %s', (_name, open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('lists by status, style, channel and user, oldest first', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    await repo.save(sample('b', { createdAt: '2025-01-02T00:00:00.000Z', author: 'slack:UCARL' }));
    await repo.save(sample('a', { createdAt: '2025-01-01T00:00:00.000Z', channel: 'slack:C2' }));
    await repo.save(sample('c', { createdAt: '2025-01-03T00:00:00.000Z', status: 'approved', style: 'quiet', savedBy: 'slack:UBEN' }));
    expect((await repo.list()).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect((await repo.list({ status: 'pending' })).map((s) => s.id)).toEqual(['a', 'b']);
    expect((await repo.list({ status: ['approved', 'rejected'], style: 'quiet' })).map((s) => s.id)).toEqual(['c']);
    expect((await repo.list({ channel: 'slack:C2' })).map((s) => s.id)).toEqual(['a']);
    expect((await repo.list({ user: 'slack:UCARL' })).map((s) => s.id)).toEqual(['b']);
    expect(await repo.counts({ channel: 'slack:C1' })).toEqual({ pending: 1, approved: 1, rejected: 0 });
  });

  it('serves the review queue, preferring the reviewer channel, and records verdicts', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    await repo.save(sample('old', { createdAt: '2025-01-01T00:00:00.000Z', channel: 'slack:C9' }));
    await repo.save(sample('new', { createdAt: '2025-01-05T00:00:00.000Z' }));
    expect(await repo.nextPending()).toMatchObject({ sample: { id: 'old' }, pending: 2 });
    expect(await repo.nextPending({ channel: 'slack:C1' })).toMatchObject({ sample: { id: 'new' }, pending: 2 });
    const at = new Date('2025-02-01T00:00:00.000Z');
    expect(await repo.review('new', 'approved', 'slack:URITA', at)).toMatchObject({ status: 'approved', reviewedBy: 'slack:URITA', reviewedAt: at.toISOString() });
    expect(await repo.review('gone', 'rejected', 'slack:URITA')).toBeUndefined();
    expect((await repo.nextPending({ channel: 'slack:C1' })).sample?.id).toBe('old');
  });

  it('forgets what a user saved or wrote, samples and feedback', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    const feedback = new FeedbackRepository(store);
    await repo.save(sample('mine'));
    await repo.save(sample('wrote', { savedBy: 'slack:UBEN', author: 'slack:UANA' }));
    await repo.save(sample('theirs', { savedBy: 'slack:UBEN' }));
    await feedback.record({ id: FeedbackRepository.idFor('slack:C1', '1.0', 'slack:UANA'), verdict: 'down', style: 'loud', model: null, channel: 'slack:C1', messageId: '1.0', user: 'slack:UANA', neutral: 'n', styled: 's', at: '2025-01-01T00:00:00.000Z' });
    expect(await repo.forget('slack:UANA')).toBe(2);
    expect(await feedback.forget('slack:UANA')).toBe(1);
    expect((await repo.list()).map((s) => s.id)).toEqual(['theirs']);
    expect(await feedback.list()).toEqual([]);
  });
});

/** Deterministic pseudo-random numbers, so a failure replays the same way. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x % n;
  };
}

const STATUSES: SampleStatus[] = ['pending', 'approved', 'rejected'];

/** The answers a full scan gives: what the index must agree with. */
function scan(all: readonly Sample[], filter: SampleFilter): Sample[] {
  const statuses = filter.status === undefined ? undefined : typeof filter.status === 'string' ? [filter.status] : filter.status;
  return all
    .filter((s) => statuses === undefined || statuses.includes(s.status))
    .filter((s) => filter.style === undefined || s.style === filter.style)
    .filter((s) => filter.channel === undefined || s.channel === filter.channel)
    .filter((s) => filter.platform === undefined || s.platform === filter.platform)
    .filter((s) => filter.user === undefined || s.savedBy === filter.user || s.author === filter.user)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function scanCounts(all: readonly Sample[], filter: SampleFilter): Record<SampleStatus, number> {
  const out = { pending: 0, approved: 0, rejected: 0 };
  for (const s of scan(all, { ...filter, status: undefined })) out[s.status] += 1;
  return out;
}

function randomSample(rnd: (n: number) => number, i: number): Sample {
  return sample(`id-${rnd(60)}`, {
    status: STATUSES[rnd(3)]!,
    style: ['loud', 'quiet'][rnd(2)]!,
    channel: ['slack:C1', 'slack:C2', 'discord:9'][rnd(3)]!,
    platform: ['slack', 'discord'][rnd(2)]!,
    savedBy: ['slack:UANA', 'slack:UBEN'][rnd(2)]!,
    ...(rnd(2) ? { author: 'slack:UCARL' } : {}),
    // Few distinct times, so ties are ordered by id.
    createdAt: `2025-01-0${1 + rnd(4)}T00:00:00.000Z`,
    styled: `text ${i}`,
  });
}

const FILTERS: SampleFilter[] = [
  {},
  { status: 'pending' },
  { status: ['approved', 'rejected'] },
  { channel: 'slack:C2' },
  { channel: 'slack:C1', status: 'pending' },
  { style: 'quiet', status: 'approved' },
  { style: 'loud', platform: 'discord' },
  { user: 'slack:UCARL' },
  { user: 'slack:UBEN', status: 'pending', channel: 'discord:9' },
  { platform: 'slack' },
];

describe.each(backends)('the sample index on %s agrees with a full scan', (_name, open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('after saves, re-saves, reviews and deletes: lists, pages, counts and the review queue', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    const model = new Map<string, Sample>();
    const rnd = random(18);
    for (let i = 0; i < 400; i++) {
      const op = rnd(10);
      const id = `id-${rnd(60)}`;
      if (op < 6) {
        const s = { ...randomSample(rnd, i), id };
        await repo.save(s);
        model.set(id, s);
      } else if (op < 8) {
        const verdict = rnd(2) ? 'approved' : 'rejected';
        const updated = await repo.review(id, verdict, 'slack:URITA', new Date('2025-02-01T00:00:00.000Z'));
        expect(updated === undefined).toBe(!model.has(id));
        if (updated) model.set(id, updated);
      } else {
        expect(await repo.delete(id)).toBe(model.delete(id));
      }
    }
    const all = [...model.values()];
    for (const filter of FILTERS) {
      const expected = scan(all, filter).map((s) => s.id);
      expect((await repo.list(filter)).map((s) => s.id), JSON.stringify(filter)).toEqual(expected);
      expect(await repo.counts(filter), JSON.stringify(filter)).toEqual(scanCounts(all, filter));
      // Pages of 7 read one after the other give the same list.
      const paged: string[] = [];
      for (let page = await repo.list(filter, { limit: 7 }); page.length > 0; ) {
        paged.push(...page.map((s) => s.id));
        page = await repo.list(filter, { limit: 7, after: page[page.length - 1] });
      }
      expect(paged, JSON.stringify(filter)).toEqual(expected);
    }
    const pending = scan(all, { status: 'pending' });
    expect(await repo.nextPending()).toEqual({ sample: pending[0], pending: pending.length });
    const inC2 = scan(all, { status: 'pending', channel: 'slack:C2' });
    expect(await repo.nextPending({ channel: 'slack:C2' })).toEqual({ sample: inC2[0] ?? pending[0], pending: pending.length });
  });

  it('a value that is not a sample in the samples namespace is stored and read, and left out of queries', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    await store.ns<unknown>('samples').set('odd', { no: 'fields' });
    await store.ns<unknown>('samples').set('number', 7);
    await repo.save(sample('real'));
    expect(await store.ns<unknown>('samples').get('odd')).toEqual({ no: 'fields' });
    expect(await repo.counts()).toEqual({ pending: 1, approved: 0, rejected: 0 });
    expect((await repo.list({ status: 'pending' })).map((s) => s.id)).toEqual(['real']);
    expect(await store.ns('samples').delete('odd')).toBe(true);
  });
});

describe.each(['sqlite', 'redis'] as const)('a %s store written before the index existed', (kind) => {
  it('is migrated on open, an interrupted migration resumes, and counts then equal a full scan', async () => {
    const where = kind === 'sqlite' ? `${tmpDir('migrate')}/old.sqlite` : (await startRedis()).url;
    const rnd = random(7);
    const batch = 40;
    const n = batch * 5 + 17; // several batches
    const old = Array.from({ length: n }, (_, i) => ({ ...randomSample(rnd, i), id: `old-${i}` }));
    await writeUnindexed(kind, where, old);
    const openIt = (interruptAfterBatches?: number): Promise<Store> =>
      kind === 'sqlite'
        ? openSqliteStore(where, { migration: { interruptAfterBatches, batch } })
        : openRedisStore({ url: where, connectTimeoutMs: 2_000, migration: { interruptAfterBatches, batch } });

    // A crash half-way: the store does not open on a half-built index…
    await expect(openIt(2)).rejects.toMatchObject({ name: 'RestyleError', message: expect.stringMatching(/interrupted/) });
    expect(await migrationCursor(kind, where)).toBeTruthy(); // the position reached was kept
    // …and the next open resumes from where it stopped and completes.
    const store = await openIt();
    try {
      const repo = new SampleRepository(store);
      const full: Sample[] = [];
      for await (const [, s] of store.ns<Sample>('samples').entries()) full.push(s);
      expect(full).toHaveLength(n);
      for (const filter of FILTERS) expect(await repo.counts(filter), JSON.stringify(filter)).toEqual(scanCounts(full, filter));
      expect((await repo.list({ channel: 'discord:9', status: 'pending' })).map((s) => s.id)).toEqual(scan(full, { channel: 'discord:9', status: 'pending' }).map((s) => s.id));
      expect((await repo.nextPending()).pending).toBe(scanCounts(full, {}).pending);
      expect(await migrationCursor(kind, where)).toBeFalsy(); // done
    } finally {
      await store.close();
    }
  });

  it('opened without migrating (doctor): sample queries refuse rather than answer from a partial index, until migrate()', async () => {
    const where = kind === 'sqlite' ? `${tmpDir('migrate')}/old.sqlite` : (await startRedis()).url;
    const old = Array.from({ length: 90 }, (_, i) => ({ ...randomSample(random(11), i), id: `old-${i}` }));
    await writeUnindexed(kind, where, old);
    const openIt = (options: { migrate?: boolean; interruptAfterBatches?: number; batch?: number }): Promise<Store> =>
      kind === 'sqlite' ? openSqliteStore(where, { migration: options }) : openRedisStore({ url: where, connectTimeoutMs: 2_000, migration: options });
    await expect(openIt({ interruptAfterBatches: 1, batch: 40 })).rejects.toMatchObject({ message: expect.stringMatching(/interrupted/) });
    const store = await openIt({ migrate: false });
    try {
      const repo = new SampleRepository(store);
      expect(await store.sampleIndex.state()).toBe('interrupted');
      await expect(repo.counts()).rejects.toMatchObject({ code: 'store_error', message: expect.stringContaining('restyle doctor --fix') });
      await expect(repo.nextPending()).rejects.toMatchObject({ code: 'store_error' });
      expect(await repo.get('old-3')).toEqual(old[3]); // a sample by id needs no index
      await store.sampleIndex.migrate();
      expect(await store.sampleIndex.state()).toBe('ready');
      expect(await repo.counts()).toEqual(scanCounts(old, {}));
      expect((await repo.list({ status: 'pending' })).map((s) => s.id)).toEqual(scan(old, { status: 'pending' }).map((s) => s.id));
    } finally {
      await store.close();
    }
    // A store with no samples yet has nothing to index: it opens ready.
    const fresh = kind === 'sqlite' ? await openSqliteStore(`${tmpDir('migrate')}/new.sqlite`, { migration: { migrate: false } }) : await openRedisStore({ url: (await startRedis()).url, connectTimeoutMs: 2_000, migration: { migrate: false } });
    try {
      expect(await fresh.sampleIndex.state()).toBe('ready');
      expect(await new SampleRepository(fresh).counts()).toEqual({ pending: 0, approved: 0, rejected: 0 });
    } finally {
      await fresh.close();
    }
  });
});

/** Where an unfinished migration stands, read straight from the backend. */
async function migrationCursor(kind: 'sqlite' | 'redis', where: string): Promise<string | undefined> {
  if (kind === 'sqlite') {
    const db = new KeyvSqlite({ uri: `sqlite://${where}` });
    const rows = (await db.query("SELECT value FROM restyle_meta WHERE key = 'samples_index_cursor'")) as Array<{ value: string }>;
    await db.disconnect();
    return rows[0]?.value;
  }
  const client = createClient({ url: where });
  await client.connect();
  const cursor = await client.get('restyle:idx:samples:migration-cursor');
  await client.close();
  return cursor ?? undefined;
}
