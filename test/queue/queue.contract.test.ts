import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { openBullQueue } from '../../src/queue/bullmq.js';
import { openOutboxQueue } from '../../src/queue/outbox.js';
import type { JobContext, JobQueue } from '../../src/queue/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { redisUrl } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

/** `sqlite-shared`: the outbox on the SQLite store's own connection, as `restyle bot` opens it. */
type Kind = 'sqlite' | 'sqlite-shared' | 'redis';
const open: JobQueue[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const q of open.splice(0)) await q.close(0);
  for (const s of stores.splice(0)) await s.close();
});

const uid = (s: string): string => `${s}-${process.pid}-${Math.random().toString(36).slice(2)}`;
const FAST = { backoffMs: 50, maxBackoffMs: 2_000, attempts: 4 };

/** A fresh queue: a new SQLite file, or its own key prefix on the shared test Redis. `where` shares one. */
function factory(kind: Kind): (options?: { leaseMs?: number }) => Promise<JobQueue> {
  const path = join(tmpDir('queue'), 'restyle.sqlite');
  const prefix = uid('q');
  return async (options = {}) => {
    // Each shared queue gets a store (one connection) of its own, as each process would.
    const store = kind === 'sqlite-shared' ? await openSqliteStore(path) : undefined;
    if (store) stores.push(store);
    const q =
      kind === 'redis'
        ? await openBullQueue({ url: redisUrl(), prefix, policy: FAST, ...options })
        : await openOutboxQueue({ path, policy: FAST, pollMs: 20, ...(store ? { connection: store.sqliteQuery! } : {}), ...options });
    open.push(q);
    return q;
  };
}

const text = { parse: (p: unknown) => (p as { text: string }).text };

describe.each<Kind>(['sqlite', 'sqlite-shared', 'redis'])('queue contract: %s', (kind) => {
  it('runs an enqueued job once, and an id enqueued again is not run again', async () => {
    const q = await factory(kind)();
    const seen: string[] = [];
    q.handle('echo', { ...text, run: async (t) => void seen.push(t) });
    await q.enqueue({ kind: 'echo', id: 'a', payload: { text: 'one' } });
    await q.enqueue({ kind: 'echo', id: 'a', payload: { text: 'one again' } });
    await q.enqueue({ kind: 'echo', id: 'b', payload: { text: 'two' } });
    await q.start();
    await vi.waitFor(() => expect(seen.sort()).toEqual(['one', 'two']));
    await q.enqueue({ kind: 'echo', id: 'a', payload: { text: 'after done' } });
    await vi.waitFor(async () => expect((await q.stats()).depth).toBe(0));
    expect(seen.sort()).toEqual(['one', 'two']);
    expect((await q.outcome('a')).status).toBe('done');
    expect((await q.outcome('never')).status).toBe('unknown');
  });

  it('tells a waiter in this process when a job settles, with what it saved', async () => {
    const q = await factory(kind)();
    q.handle('answer', { ...text, run: async (t, job) => job.save({ response: t.toUpperCase() }) });
    const settled: string[] = [];
    const off = q.onSettled((id) => settled.push(id));
    await q.start();
    await q.enqueue({ kind: 'answer', id: 'w', payload: { text: 'hi' } });
    await vi.waitFor(() => expect(settled).toContain('w'));
    off();
    expect(await q.outcome('w')).toMatchObject({ status: 'done', state: { response: 'HI' } });
  });

  it('retries a failing job no sooner than the Retry-After it reported, and the retry sees what the first attempt saved', async () => {
    const q = await factory(kind)();
    const runs: Array<{ at: number; attempt: number; state: Record<string, unknown> }> = [];
    q.handle('flaky', {
      ...text,
      run: async (_t, job: JobContext) => {
        runs.push({ at: Date.now(), attempt: job.attempt, state: { ...job.state } });
        if (runs.length === 1) {
          await job.save({ posted: 'ts-1' });
          throw new RestyleError('quota_exceeded', 'rate limited', { retryable: true, details: { retryAfterMs: 400 } });
        }
      },
    });
    await q.enqueue({ kind: 'flaky', id: uid('f'), payload: { text: 'x' } });
    await q.start();
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(runs[1]!.attempt).toBe(2);
    expect(runs[1]!.state).toEqual({ posted: 'ts-1' });
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(400);
    await vi.waitFor(async () => expect(await q.stats()).toMatchObject({ depth: 0, failed: 0 }));
  });

  it('fails a job the platform refused once, lists it with the reason, and can retry or drop it', async () => {
    const q = await factory(kind)();
    let calls = 0;
    let refuse = true;
    q.handle('post', {
      ...text,
      run: async () => {
        calls++;
        if (refuse) throw new RestyleError('permission_denied', 'Slack chat.postMessage failed: not_in_channel', { retryable: false });
      },
    });
    await q.enqueue({ kind: 'post', id: 'p1', payload: { text: 'x' } });
    await q.enqueue({ kind: 'post', id: 'p2', payload: { text: 'y' } });
    await q.start();
    await vi.waitFor(async () => expect((await q.stats()).failed).toBe(2));
    expect(calls).toBe(2);
    const failed = await q.failed();
    expect(failed.map((f) => f.id).sort()).toEqual(['p1', 'p2']);
    expect(failed[0]!.reason).toContain('not_in_channel');
    expect(failed[0]!.kind).toBe('post');

    refuse = false;
    expect(await q.retry('p1')).toBe(true);
    await vi.waitFor(async () => expect((await q.outcome('p1')).status).toBe('done'));
    expect(calls).toBe(3);
    expect((await q.stats()).failed).toBe(1);
    // Enqueued again while failed: nothing is added, and the caller hears it is failed (to drop and enqueue anew).
    expect(await q.enqueue({ kind: 'post', id: 'p2', payload: { text: 'y2' } })).toEqual({ created: false, failed: true });
    expect(calls).toBe(3);
    expect(await q.drop('p2')).toBe(true);
    expect(await q.failed()).toEqual([]);
    expect(await q.enqueue({ kind: 'post', id: 'p2', payload: { text: 'y2' } })).toEqual({ created: true });
    await vi.waitFor(async () => expect((await q.outcome('p2')).status).toBe('done'));
    expect(calls).toBe(4);
    expect(await q.retry('nope')).toBe(false);
    expect(await q.drop('nope')).toBe(false);
  });

  it('sends a payload that no longer parses to the failed set with the reason, and goes on with the next job', async () => {
    const q = await factory(kind)();
    const seen: string[] = [];
    q.handle('typed', {
      parse: (p: unknown) => {
        if (typeof (p as { text?: unknown }).text !== 'string') throw new Error('text: expected a string');
        return (p as { text: string }).text;
      },
      run: async (t) => void seen.push(t),
    });
    await q.enqueue({ kind: 'typed', id: 'old', payload: { body: 'written by v1' } });
    await q.enqueue({ kind: 'typed', id: 'new', payload: { text: 'fine' } });
    await q.start();
    await vi.waitFor(() => expect(seen).toEqual(['fine']));
    await vi.waitFor(async () => expect(await q.failed()).toHaveLength(1));
    const [f] = await q.failed();
    expect(f!.id).toBe('old');
    expect(f!.reason).toMatch(/payload_invalid.*typed.*text: expected a string/);
    expect(f!.attempts).toBeLessThanOrEqual(1);
  });

  it('gives up after the configured attempts and says why', async () => {
    const q = await factory(kind)();
    let calls = 0;
    const told: Array<{ payload: string; id: string; attempt: number; reason: string }> = [];
    q.handle('down', {
      ...text,
      run: async () => {
        calls++;
        throw new RestyleError('platform_unavailable', 'Slack is not answering', { retryable: true });
      },
      gaveUp: async (payload, job, reason) => void told.push({ payload, id: job.id, attempt: job.attempt, reason }),
    });
    await q.enqueue({ kind: 'down', id: 'd', payload: { text: 'x' } });
    await q.start();
    await vi.waitFor(async () => expect(await q.failed()).toHaveLength(1), { timeout: 10_000 });
    expect(calls).toBe(FAST.attempts);
    expect((await q.failed())[0]!.reason).toContain('Slack is not answering');
    // Told once, on the last attempt, with the reason the failed set keeps.
    expect(told).toEqual([{ payload: 'x', id: 'd', attempt: FAST.attempts, reason: (await q.failed())[0]!.reason }]);
  });

  it('a failed job is failed even when telling the person fails', async () => {
    const q = await factory(kind)();
    q.handle('refused', {
      ...text,
      run: () => Promise.reject(new RestyleError('permission_denied', 'not_in_channel', { retryable: false })),
      gaveUp: () => Promise.reject(new Error('cannot tell either')),
    });
    await q.enqueue({ kind: 'refused', id: 'r', payload: { text: 'x' } });
    await q.start();
    await vi.waitFor(async () => expect((await q.outcome('r')).status).toBe('failed'));
    expect((await q.failed()).map((f) => f.id)).toEqual(['r']);
  });

  it('counts depth and the oldest job age before anything runs', async () => {
    const q = await factory(kind)();
    await q.enqueue({ kind: 'idle', id: 'i1', payload: {} });
    await q.enqueue({ kind: 'idle', id: 'i2', payload: {} });
    await vi.waitFor(async () => expect((await q.stats()).oldestAgeMs).toBeGreaterThan(0));
    expect(await q.stats()).toMatchObject({ depth: 2, failed: 0, retrying: 0 });
  });

  it("hands the job of a worker that stopped renewing its lease to another worker", async () => {
    const shared = factory(kind);
    const first = await shared({ leaseMs: 1_000 });
    const started: number[] = [];
    first.handle('slow', { ...text, run: (_t, job) => (started.push(job.attempt), new Promise<void>(() => {})) });
    await first.enqueue({ kind: 'slow', id: 's', payload: { text: 'x' } });
    await first.start();
    await vi.waitFor(() => expect(started).toEqual([1]));
    await first.close(0); // its handler never finished: like a process that died mid-job

    const second = await shared({ leaseMs: 1_000 });
    const attempts: number[] = [];
    second.handle('slow', { ...text, run: async (_t, job) => void attempts.push(job.attempt) });
    await second.start();
    await vi.waitFor(() => expect(attempts).toHaveLength(1), { timeout: 15_000 });
    expect(attempts[0]).toBeGreaterThanOrEqual(2);
  });

  it('ping writes; a closed queue refuses work as unavailable', async () => {
    const q = await factory(kind)();
    await q.ping();
    await q.close(0);
    await expect(q.ping()).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(q.enqueue({ kind: 'x', id: 'x', payload: {} })).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});

describe('queue: Redis down', () => {
  it('enqueue fails fast with store_unavailable instead of hanging', async () => {
    await expect(openBullQueue({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 })).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});
