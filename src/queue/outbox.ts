import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { RestyleError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { decide, tellGaveUp, unparsable } from './policy.js';
import { sqliteError } from '../store/sqlite-errors.js';
import { openSqliteDb, sharedSqliteDb, type Row, type SqliteDb, type SqliteQuery } from './sqlite-db.js';
import { DEFAULT_QUEUE_POLICY, type Enqueued, type FailedJob, type JobContext, type JobHandler, type JobOutcome, type JobQueue, type JobSpec, type QueuePolicy, type QueueRunOptions, type QueueStats } from './types.js';

export interface OutboxOptions {
  /** The embedded store's SQLite file: the outbox lives beside the data it guards. */
  path: string;
  /** The store's connection to that file (`Store.sqliteQuery`); without it the outbox opens its own. */
  connection?: SqliteQuery;
  policy?: Partial<QueuePolicy>;
  /** A running job's lease; renewed while it runs, so only a dead process's jobs are taken over. */
  leaseMs?: number;
  /** How often an idle worker looks for jobs other processes wrote. */
  pollMs?: number;
  logger?: Logger;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS restyle_jobs(
     id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
     run_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER, reason TEXT, finished_at INTEGER)`,
  'CREATE INDEX IF NOT EXISTS restyle_jobs_due ON restyle_jobs(status, run_at)',
  'CREATE TABLE IF NOT EXISTS restyle_jobs_ping(owner TEXT PRIMARY KEY, at INTEGER NOT NULL)',
];

interface Claimed {
  id: string;
  kind: string;
  payload: string;
  state: string;
  attempts: number;
  createdAt: number;
}

/**
 * The embedded engine: an outbox table in the store's SQLite file. A job is a row; a worker claims it with
 * one UPDATE … RETURNING (atomic across connections and processes) and holds a lease it keeps renewing.
 * On start, rows leased by a process of this machine that no longer exists are replayed at once; any other
 * expired lease is taken over when it runs out.
 */
export async function openOutboxQueue(options: OutboxOptions): Promise<JobQueue> {
  let db: SqliteDb;
  try {
    await mkdir(dirname(options.path), { recursive: true });
    db = options.connection ? sharedSqliteDb(options.connection) : await openSqliteDb(options.path, 5_000);
    await db.all('PRAGMA journal_mode=WAL');
    // WAL + NORMAL: a commit is in the WAL file (the OS has it) before enqueue resolves, so it survives the
    // process being killed (what the queue is for); only an OS crash or power loss can lose the last commits.
    // FULL would fsync on the ack path of every mention.
    await db.all('PRAGMA synchronous=NORMAL');
    for (const sql of SCHEMA) await db.all(sql);
  } catch (error) {
    throw queueError(options.path, error);
  }
  const queue = new OutboxQueue(db, options);
  await queue.recover();
  return queue;
}

class OutboxQueue implements JobQueue {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly policy: QueuePolicy;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly logger: Logger;
  private readonly owner = `${hostname()}|${process.pid}|${randomBytes(4).toString('hex')}`;
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly active = new Set<Promise<void>>();
  private running = false;
  private closed = false;
  private concurrency = 0;
  /** Slots taken by jobs being recorded to run here at once (see `enqueue`). */
  private reserved = 0;
  /** A wake-up that came while the loop was not pausing (claiming): its next pause returns at once. */
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private loopDone: Promise<void> | undefined;
  private readonly settled = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly db: SqliteDb,
    options: OutboxOptions,
  ) {
    this.location = options.path;
    this.policy = { ...DEFAULT_QUEUE_POLICY, ...options.policy };
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 250;
    this.logger = options.logger ?? silentLogger();
  }

  /** Replay jobs a crashed process of this machine held, and forget done jobs past `keepDoneMs`. */
  async recover(): Promise<void> {
    const now = Date.now();
    await this.sql(async () => {
      const held = await this.db.all(`SELECT DISTINCT lease_owner FROM restyle_jobs WHERE status = 'active' AND lease_owner IS NOT NULL`);
      for (const row of held) {
        const owner = String(row.lease_owner);
        if (!isDeadLocalOwner(owner)) continue;
        const r = await this.db.all(`UPDATE restyle_jobs SET status = 'waiting', run_at = ?, lease_owner = NULL WHERE status = 'active' AND lease_owner = ? RETURNING id`, now, owner);
        if (r.length > 0) this.logger.info({ jobs: r.length }, 'queue: replaying jobs of a process that ended without finishing them');
      }
      await this.db.all(`DELETE FROM restyle_jobs WHERE status = 'done' AND finished_at <= ?`, now - this.policy.keepDoneMs);
    });
  }

  async enqueue(job: JobSpec): Promise<Enqueued> {
    if (this.closed) throw new RestyleError('store_unavailable', `the job queue in ${this.location} is closed`, { retryable: true });
    let payload: string;
    try {
      payload = JSON.stringify(job.payload);
    } catch (error) {
      throw new RestyleError('input_invalid', `job ${job.id}: payload is not JSON: ${(error as Error).message}`);
    }
    const now = Date.now();
    // A kind this process runs, with a slot free: recorded already leased to us and run at once, without
    // waiting for the loop's claim. Should the process die, the lease is replayed as any other.
    if (this.running && this.handlers.has(job.kind) && this.active.size + this.reserved < this.concurrency) {
      this.reserved += 1;
      let r: Row[];
      try {
        r = await this.sql(() =>
          this.db.all(
            `INSERT INTO restyle_jobs(id, kind, payload, status, created_at, run_at, attempts, lease_owner, lease_until) VALUES(?, ?, ?, 'active', ?, ?, 1, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id`,
            job.id,
            job.kind,
            payload,
            now,
            now,
            this.owner,
            now + this.leaseMs,
          ),
        );
      } finally {
        this.reserved -= 1;
      }
      // Started after the caller (an ack path) has its answer.
      if (r.length > 0) this.spawn({ id: job.id, kind: job.kind, payload, state: '{}', attempts: 1, createdAt: now }, true);
      return r.length > 0 ? { created: true } : this.known(job.id);
    }
    const r = await this.sql(() =>
      this.db.all(`INSERT INTO restyle_jobs(id, kind, payload, status, created_at, run_at) VALUES(?, ?, ?, 'waiting', ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id`, job.id, job.kind, payload, now, now),
    );
    if (r.length > 0) this.wake();
    return r.length > 0 ? { created: true } : this.known(job.id);
  }

  /** An id enqueued again: nothing was added; say whether its job is in the failed set. */
  private async known(id: string): Promise<Enqueued> {
    const [row] = await this.sql(() => this.db.all(`SELECT status FROM restyle_jobs WHERE id = ?`, id));
    return { created: false, failed: row?.status === 'failed' };
  }

  handle<P>(kind: string, handler: JobHandler<P>): void {
    this.handlers.set(kind, handler as JobHandler<unknown>);
  }

  async start(options: QueueRunOptions = {}): Promise<void> {
    if (this.running || this.closed || this.handlers.size === 0) return;
    this.running = true;
    const renew = setInterval(() => {
      this.db.all(`UPDATE restyle_jobs SET lease_until = ? WHERE status = 'active' AND lease_owner = ?`, Date.now() + this.leaseMs, this.owner).catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'queue: could not renew job leases');
      });
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    const sweep = setInterval(() => void this.recover().catch(() => {}), 3600_000);
    renew.unref();
    sweep.unref();
    this.timers.push(renew, sweep);
    this.concurrency = options.concurrency ?? 8;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.active.size + this.reserved >= this.concurrency) {
        await this.pause(this.pollMs);
        continue;
      }
      const job = await this.claim().catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'queue: could not read the job table');
        return undefined;
      });
      if (!job) {
        await this.pause(this.pollMs);
        continue;
      }
      this.spawn(job);
    }
  }

  /** Run a job this process holds the lease of, in one of its slots. */
  private spawn(job: Claimed, later = false): void {
    const run = later ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.runJob(job)) : this.runJob(job);
    const p: Promise<void> = run.finally(() => {
      this.active.delete(p);
      this.wake();
    });
    this.active.add(p);
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private pause(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.woken = false;
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async claim(): Promise<Claimed | undefined> {
    const kinds = [...this.handlers.keys()];
    const now = Date.now();
    const rows = await this.db.all(
      `UPDATE restyle_jobs SET status = 'active', lease_owner = ?, lease_until = ?, attempts = attempts + 1
       WHERE id = (SELECT id FROM restyle_jobs
                   WHERE kind IN (${kinds.map(() => '?').join(', ')})
                     AND ((status = 'waiting' AND run_at <= ?) OR (status = 'active' AND lease_until <= ? AND lease_owner != ?))
                   ORDER BY run_at LIMIT 1)
       RETURNING id, kind, payload, state, attempts, created_at`,
      this.owner,
      now + this.leaseMs,
      ...kinds,
      now,
      now,
      this.owner, // never our own: a job this process still runs, its renewals only late (a busy event loop)
    );
    const row = rows[0];
    return row ? { id: String(row.id), kind: String(row.kind), payload: String(row.payload), state: String(row.state), attempts: Number(row.attempts), createdAt: Number(row.created_at) } : undefined;
  }

  private async runJob(job: Claimed): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    let payload: unknown;
    try {
      payload = handler.parse(JSON.parse(job.payload));
    } catch (error) {
      await this.finish(job, 'failed', unparsable(job.kind, error));
      return;
    }
    let state: Record<string, unknown> = parseState(job.state);
    const ctx: JobContext = {
      id: job.id,
      kind: job.kind,
      attempt: job.attempts,
      createdAt: job.createdAt,
      get state() {
        return state;
      },
      save: async (patch) => {
        const next = { ...state, ...patch };
        const r = await this.sql(() => this.db.all(`UPDATE restyle_jobs SET state = ? WHERE id = ? AND lease_owner = ? RETURNING id`, JSON.stringify(next), job.id, this.owner));
        if (r.length === 0) throw new RestyleError('conflict', `job ${job.id}: its lease was taken over by another worker`);
        state = next;
      },
    };
    try {
      await handler.run(payload, ctx);
      await this.finish(job, 'done');
    } catch (error) {
      const d = decide(error, job.attempts, this.policy);
      if (d.fail) {
        this.logger.warn({ job: job.id, kind: job.kind, reason: d.reason }, 'queue: job failed');
        await tellGaveUp(handler, payload, ctx, d.reason, this.logger);
        await this.finish(job, 'failed', d.reason);
      } else {
        this.logger.info({ job: job.id, kind: job.kind, attempt: job.attempts, delayMs: d.delayMs, reason: d.reason }, 'queue: job will be retried');
        await this.finish(job, 'waiting', d.reason, d.delayMs);
      }
    }
  }

  private async finish(job: Claimed, status: 'done' | 'failed' | 'waiting', reason?: string, delayMs = 0): Promise<void> {
    const now = Date.now();
    await this.sql(() =>
      this.db.all(
        `UPDATE restyle_jobs SET status = ?, reason = ?, run_at = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`,
        status,
        reason ?? null,
        now + delayMs,
        status === 'waiting' ? null : now,
        job.id,
        this.owner,
      ),
    ).then(
      () => void (status !== 'waiting' && this.settled.emit('settled', job.id)),
    ).catch((error: unknown) => {
      // The lease runs out and the job is run again: at least once, never lost.
      this.logger.error({ err: (error as Error).message, job: job.id }, 'queue: could not record the job outcome');
    });
  }

  async outcome(id: string): Promise<JobOutcome> {
    const [row] = await this.sql(() => this.db.all('SELECT status, state, reason FROM restyle_jobs WHERE id = ?', id));
    if (!row) return { status: 'unknown', state: {} };
    const status = row.status === 'done' || row.status === 'failed' ? row.status : 'pending';
    return { status, state: parseState(String(row.state)), ...(row.reason ? { reason: String(row.reason) } : {}) };
  }

  onSettled(listener: (id: string) => void): () => void {
    this.settled.on('settled', listener);
    return () => this.settled.off('settled', listener);
  }

  async failed(limit = 100): Promise<FailedJob[]> {
    const rows = await this.sql(() => this.db.all(`SELECT id, kind, reason, attempts, finished_at FROM restyle_jobs WHERE status = 'failed' ORDER BY finished_at DESC LIMIT ?`, limit));
    return rows.map((r: Row) => ({ id: String(r.id), kind: String(r.kind), reason: String(r.reason ?? ''), attempts: Number(r.attempts), failedAt: Number(r.finished_at) }));
  }

  async retry(id: string): Promise<boolean> {
    const r = await this.sql(() => this.db.all(`UPDATE restyle_jobs SET status = 'waiting', run_at = ?, attempts = 0, reason = NULL, finished_at = NULL WHERE id = ? AND status = 'failed' RETURNING id`, Date.now(), id));
    if (r.length > 0) this.wake();
    return r.length > 0;
  }

  async drop(id: string): Promise<boolean> {
    const r = await this.sql(() => this.db.all(`DELETE FROM restyle_jobs WHERE id = ? AND status IN ('failed', 'waiting') RETURNING id`, id));
    return r.length > 0;
  }

  async stats(): Promise<QueueStats> {
    const [row] = await this.sql(() =>
      this.db.all(
        `SELECT SUM(status IN ('waiting', 'active')) AS depth, MIN(CASE WHEN status IN ('waiting', 'active') THEN created_at END) AS oldest,
                SUM(status = 'waiting' AND attempts > 0) AS retrying, SUM(status = 'failed') AS failed
         FROM restyle_jobs WHERE status != 'done'`,
      ),
    );
    const oldest = row?.oldest == null ? undefined : Number(row.oldest);
    return {
      depth: Number(row?.depth ?? 0),
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
      retrying: Number(row?.retrying ?? 0),
      failed: Number(row?.failed ?? 0),
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new RestyleError('store_unavailable', `the job queue in ${this.location} is closed`, { retryable: true });
    await this.sql(() => this.db.all('INSERT INTO restyle_jobs_ping(owner, at) VALUES(?, ?) ON CONFLICT(owner) DO UPDATE SET at = excluded.at', this.owner, Date.now()));
  }

  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    this.wake();
    await this.loopDone;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const t of this.timers) clearInterval(t);
    await this.db.all('DELETE FROM restyle_jobs_ping WHERE owner = ?', this.owner).catch(() => {});
    await this.db.close();
  }

  private async sql<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (error) {
      throw queueError(this.location, error);
    }
  }
}

function parseState(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `host|pid|…` of this machine whose process is gone (signal 0 probes without signalling). */
function isDeadLocalOwner(owner: string): boolean {
  const [host, pidText] = owner.split('|');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false; // another queue of this process, alive: its lease runs out if not
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Without a code, the error is the shared connection's, closed under us (the store closing first): retryable. */
function queueError(path: string, error: unknown): RestyleError {
  return sqliteError(`job queue in ${path}`, error, 'store_unavailable');
}
