/**
 * Sample queries at 10k and 100k samples on both stores (issue 18): `nextPending` (/restyle review), a page
 * of `list`, and `counts` (/restyle status) must read only what they return — ≤ 20 ms at 100k and flat from
 * 10k to 100k — against a full scan of the namespace (what they did before the index) measured in the same
 * run. And saving on SQLite ≤ 0.5 ms per sample, against Keyv on the same SQLite file settings as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { SampleRepository } from '../src/samples/repository.js';
import type { Sample, SampleStatus } from '../src/samples/types.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { findRedisServer, launchRedis } from '../test/support/redis-server.js';
import { median, type BenchResult } from './types.js';

const SIZES = [10_000, 100_000] as const;
const ROUNDS = 30;
const SAVE_ROUNDS = 2_000;
const STATUSES: SampleStatus[] = ['pending', 'approved', 'rejected'];

function sampleAt(i: number): Sample {
  return {
    id: `bench-${String(i).padStart(7, '0')}`,
    kind: 'styled',
    status: STATUSES[i % 7 === 0 ? 0 : 1 + (i % 2)]!, // ~1 in 7 pending, as a reviewed backlog
    source: 'reaction',
    style: `style-${i % 5}`,
    platform: 'slack',
    channel: `slack:C${i % 20}`,
    savedBy: `slack:U${i % 50}`,
    styled: `A message saved as a style sample, number ${i}, long enough to look like one people write.`,
    createdAt: new Date(Date.UTC(2025, 0, 1) + i * 1_000).toISOString(),
  };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Saves samples [from, to) with a few writes in flight, as many chat users would. */
async function fill(repo: SampleRepository, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 200) await Promise.all(Array.from({ length: Math.min(200, to - i) }, (_, j) => repo.save(sampleAt(i + j))));
}

interface Figures {
  next: number;
  page: number;
  counts: number;
  scan: number;
}

/** Median ms of each query at the store's current size; the full scan once (it is the slow baseline). */
async function measure(store: Store, repo: SampleRepository, size: number): Promise<Figures> {
  const next: number[] = [];
  const page: number[] = [];
  const counts: number[] = [];
  for (let r = -5; r < ROUNDS; r++) {
    if (r === 0) [next, page, counts].forEach((a) => a.splice(0)); // the first rounds only warm up
    next.push(await time(() => repo.nextPending({ channel: `slack:C${r % 20}` })));
    // A page from somewhere in the pending queue (every 7th sample is pending).
    const after = r % 3 === 0 ? undefined : sampleAt(7 * Math.floor((((r + 5) * 7919) % size) / 7));
    page.push(await time(() => repo.list({ status: 'pending' }, { limit: 50, after })));
    counts.push(await time(() => Promise.all([repo.counts({ channel: `slack:C${r % 20}` }), repo.counts({ style: `style-${r % 5}` })])));
  }
  const scan = await time(async () => {
    let n = 0;
    for await (const [, s] of store.ns<Sample>('samples').entries()) if (s.channel === 'slack:C3') n += 1;
    return n;
  });
  return { next: median(next), page: median(page), counts: median(counts), scan };
}

async function queries(kind: 'sqlite' | 'redis', store: Store): Promise<BenchResult[]> {
  const repo = new SampleRepository(store);
  const at: Figures[] = [];
  let size = 0;
  for (const target of SIZES) {
    await fill(repo, size, target);
    size = target;
    at.push(await measure(store, repo, size));
  }
  const [small, large] = at as [Figures, Figures];
  const out: BenchResult[] = [];
  const k = (n: number): string => `${n / 1000}k`;
  for (const [name, key] of [['nextPending (/restyle review)', 'next'], ['list: a page of 50', 'page'], ['counts (/restyle status: channel + style)', 'counts']] as const) {
    const v = large[key];
    out.push({ name: `${kind}: ${name} at ${k(SIZES[1])}`, value: v, unit: 'ms', goal: '≤20 ms', ok: v <= 20, note: `median of ${ROUNDS}; ${small[key].toFixed(2)} ms at ${k(SIZES[0])}` });
    const flat = large[key] / small[key];
    out.push({ name: `${kind}: ${name} ${k(SIZES[1])} vs ${k(SIZES[0])}`, value: flat, unit: '×', goal: '≤2× (flat)', ok: flat <= 2 });
    out.push({ name: `${kind}: ${name}: a full scan (as before) vs indexed, at ${k(SIZES[1])}`, value: large.scan / v, unit: '×', note: `full scan ${large.scan.toFixed(0)} ms (${small.scan.toFixed(0)} ms at ${k(SIZES[0])})` });
  }
  return out;
}

/** Sequential saves, each awaited: our store vs Keyv on SQLite configured as the store was before. */
async function sqliteSaves(dir: string): Promise<BenchResult[]> {
  const before = new KeyvSqlite({ uri: `sqlite://${join(dir, 'before.sqlite')}` });
  await before.query('PRAGMA journal_mode=WAL');
  const keyv = new Keyv({ store: before, namespace: 'samples', useKeyPrefix: false });
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'saves.sqlite'), connectTimeoutMs: 1000 });
  const repo = new SampleRepository(store);
  let old = 0;
  let now = 0;
  // Alternate in slices so both see the same machine load.
  for (let i = 0; i < SAVE_ROUNDS; i += 100) {
    old += await time(async () => {
      for (let j = i; j < i + 100; j++) await keyv.set(`samples:${sampleAt(j).id}`, sampleAt(j));
    });
    now += await time(async () => {
      for (let j = i; j < i + 100; j++) await repo.save(sampleAt(j));
    });
  }
  await keyv.disconnect();
  await store.close();
  const perSample = now / SAVE_ROUNDS;
  return [
    { name: 'sqlite: save, ms per sample (indexed)', value: perSample, unit: 'ms', goal: '≤0.5 ms', ok: perSample <= 0.5, note: `${SAVE_ROUNDS} sequential saves` },
    { name: 'sqlite: save vs Keyv on SQLite as before (WAL, synchronous=FULL, no index)', value: now / old, unit: '×', note: `before ${(old / SAVE_ROUNDS).toFixed(3)} ms per sample` },
  ];
}

export default async function samplesBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-samples-'));
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found: install it to run the samples bench');
  const redis = await launchRedis(bin);
  const out: BenchResult[] = [];
  try {
    out.push(...(await sqliteSaves(dir)));
    const sqlite = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 1000 });
    out.push(...(await queries('sqlite', sqlite).finally(() => sqlite.close())));
    const onRedis = await openStore({ redisUrl: redis.url, dataDir: dir, sqlitePath: '', connectTimeoutMs: 2000 });
    out.push(...(await queries('redis', onRedis).finally(() => onRedis.close())));
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
