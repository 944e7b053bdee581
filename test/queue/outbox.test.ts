/**
 * The SQLite outbox's own scheduling (the contract both engines share is in queue.contract.test.ts): a job
 * enqueued by a process that runs its kind goes straight to a free slot, recorded and leased first, and
 * one whose slots are all taken waits in the table until one frees — neither waits for a poll.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openOutboxQueue } from '../../src/queue/outbox.js';
import { openSqliteDb, type SqliteDb } from '../../src/queue/sqlite-db.js';
import type { JobQueue } from '../../src/queue/types.js';
import { tmpDir } from '../support/tmp.js';

/** Longer than any test: a job that runs did not wait for the loop's next look at the table. */
const NEVER_POLL = 600_000;
const text = { parse: (p: unknown) => (p as { text: string }).text };

const open: Array<JobQueue | SqliteDb> = [];
afterEach(async () => {
  for (const q of open.splice(0).reverse()) await ('enqueue' in q ? q.close(0) : q.close());
});

async function queueAt(path: string, options: { leaseMs?: number } = {}): Promise<JobQueue> {
  const q = await openOutboxQueue({ path, pollMs: NEVER_POLL, policy: { backoffMs: 50, attempts: 4 }, ...options });
  open.push(q);
  return q;
}

async function rows(path: string): Promise<Array<Record<string, unknown>>> {
  const db = await openSqliteDb(path, 5_000);
  open.push(db);
  return db.all('SELECT id, status, lease_owner, attempts FROM restyle_jobs ORDER BY id');
}

/** A promise and its resolve: a job that runs until the test lets it finish. */
function gate(): { wait: Promise<void>; open(): void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('outbox: a job enqueued here', () => {
  it('runs in a free slot at once, recorded and leased to this process before enqueue resolves', async () => {
    const path = join(tmpDir('outbox'), 'restyle.sqlite');
    const q = await queueAt(path);
    const g = gate();
    const seen: string[] = [];
    q.handle('echo', { ...text, run: async (t) => (seen.push(t), g.wait) });
    await q.start();
    await q.enqueue({ kind: 'echo', id: 'a', payload: { text: 'one' } });
    // Read by another connection: the row is there, held by this process, before the job ran.
    const [row] = await rows(path);
    expect(row).toMatchObject({ id: 'a', status: 'active', attempts: 1 });
    expect(String(row!.lease_owner)).toContain(`|${process.pid}|`);
    await vi.waitFor(() => expect(seen).toEqual(['one']));
    g.open();
    await vi.waitFor(async () => expect((await q.outcome('a')).status).toBe('done'));
  });

  it('waits in the table while every slot is taken, and runs as soon as one frees', async () => {
    const path = join(tmpDir('outbox'), 'restyle.sqlite');
    const q = await queueAt(path);
    const g = gate();
    const seen: string[] = [];
    q.handle('echo', { ...text, run: async (t) => (seen.push(t), t === 'first' ? g.wait : undefined) });
    await q.start({ concurrency: 1 });
    await q.enqueue({ kind: 'echo', id: 'a', payload: { text: 'first' } });
    await q.enqueue({ kind: 'echo', id: 'b', payload: { text: 'second' } });
    await vi.waitFor(() => expect(seen).toEqual(['first']));
    expect((await rows(path)).map((r) => [r.id, r.status])).toEqual([
      ['a', 'active'],
      ['b', 'waiting'],
    ]);
    g.open();
    await vi.waitFor(() => expect(seen).toEqual(['first', 'second']));
    await vi.waitFor(async () => expect((await q.stats()).depth).toBe(0));
  });

  it('runs once when its id is enqueued again, at the same time or while it runs', async () => {
    const q = await queueAt(join(tmpDir('outbox'), 'restyle.sqlite'));
    const g = gate();
    let runs = 0;
    q.handle('echo', { ...text, run: async () => (runs++, g.wait) });
    await q.start();
    const created = await Promise.all(Array.from({ length: 5 }, () => q.enqueue({ kind: 'echo', id: 'same', payload: { text: 'x' } })));
    expect(created.filter((c) => c.created)).toHaveLength(1);
    await vi.waitFor(() => expect(runs).toBe(1));
    expect((await q.enqueue({ kind: 'echo', id: 'same', payload: { text: 'x' } })).created).toBe(false);
    g.open();
    await vi.waitFor(async () => expect((await q.outcome('same')).status).toBe('done'));
    expect(runs).toBe(1);
  });

  it('is taken over by another worker when this one stops mid-run (its lease runs out), as a claimed job is', async () => {
    const path = join(tmpDir('outbox'), 'restyle.sqlite');
    const first = await queueAt(path, { leaseMs: 1_000 });
    const started: number[] = [];
    first.handle('slow', { ...text, run: (_t, job) => (started.push(job.attempt), new Promise<void>(() => {})) });
    await first.start();
    await first.enqueue({ kind: 'slow', id: 's', payload: { text: 'x' } });
    await vi.waitFor(() => expect(started).toEqual([1]));
    await first.close(0); // its handler never finished: like a process that died mid-job

    const second = await openOutboxQueue({ path, pollMs: 50, leaseMs: 1_000 });
    open.push(second);
    const attempts: number[] = [];
    second.handle('slow', { ...text, run: async (_t, job) => void attempts.push(job.attempt) });
    await second.start();
    await vi.waitFor(() => expect(attempts).toEqual([2]), { timeout: 15_000 });
    await vi.waitFor(async () => expect((await second.outcome('s')).status).toBe('done'));
  });
});
