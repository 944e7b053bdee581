import { EventEmitter } from 'node:events';
import { createClient } from '@keyv/redis';
import type * as BullMQ from 'bullmq';
import type { Job, Queue, Worker } from 'bullmq';
import { RestyleError, toRestyleError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { redactRedisUrl } from '../store/redis.js';
import { decide, tellGaveUp, unparsable } from './policy.js';
import { DEFAULT_QUEUE_POLICY, type Enqueued, type FailedJob, type JobContext, type JobHandler, type JobOutcome, type JobQueue, type JobSpec, type QueuePolicy, type QueueRunOptions, type QueueStats } from './types.js';

export interface BullQueueOptions {
  url: string;
  policy?: Partial<QueuePolicy>;
  /** A running job's lock; a job whose worker died is handed to another one after about this long. */
  leaseMs?: number;
  /** Bounds every queue write, so the ack path answers "cannot take work now" instead of hanging. */
  commandTimeoutMs?: number;
  logger?: Logger;
  /** Redis key prefix (default `restyle`): deployments or tests sharing one Redis keep apart with it. */
  prefix?: string;
}

type Bull = typeof BullMQ;
type RedisClient = ReturnType<typeof createClient> & { duplicate(options?: object): RedisClient };
/** A retryable failure carries the delay the policy chose, for the backoff strategy. */
type Retry = Error & { delayMs?: number };

/**
 * BullMQ on Redis: one BullMQ queue per job kind (`restyle.<kind>`), so a process runs workers only for the
 * kinds it can handle, and any number of processes on any number of machines share the work. Driven
 * through node-redis (already used by the store), so BullMQ needs no second Redis client library.
 * bullmq itself is imported only here, and only when REDIS_URL is set.
 */
export async function openBullQueue(options: BullQueueOptions): Promise<JobQueue> {
  const bull = await import('bullmq');
  const shown = redactRedisUrl(options.url);
  // Fail fast: with the offline queue off, a command while Redis is down rejects instead of waiting.
  const client = createClient({ url: options.url, disableOfflineQueue: true, socket: { connectTimeout: 3_000, reconnectStrategy: (n: number) => Math.min(50 * 2 ** Math.min(n, 6), 2_000) } });
  client.on('error', () => {}); // surfaced as rejected calls
  client.setMaxListeners(64);
  try {
    await within(client.connect(), options.commandTimeoutMs ?? 3_000, `no connection to Redis at REDIS_URL (${shown})`);
  } catch (error) {
    client.destroy();
    throw unavailable(shown, error);
  }
  return new BullQueue(bull, client as unknown as RedisClient, shown, options);
}

class BullQueue implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly policy: QueuePolicy;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly queues = new Map<string, Queue>();
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly workers: Worker[] = [];
  private readonly workerClients: RedisClient[] = [];
  private readonly knownKinds = new Set<string>();
  private closed = false;
  private readonly settled = new EventEmitter().setMaxListeners(0);
  private readonly prefix: string;
  private readonly kindsKey: string;

  constructor(
    private readonly bull: Bull,
    private readonly client: RedisClient,
    readonly location: string,
    options: BullQueueOptions,
  ) {
    this.policy = { ...DEFAULT_QUEUE_POLICY, ...options.policy };
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.commandTimeoutMs ?? 3_000;
    this.logger = options.logger ?? silentLogger();
    this.prefix = options.prefix ?? 'restyle';
    this.kindsKey = `${this.prefix}:queue:kinds`;
  }

  private queue(kind: string): Queue {
    let q = this.queues.get(kind);
    if (!q) {
      q = new this.bull.Queue(`${this.prefix}.${kind}`, { connection: this.client as never, prefix: this.prefix });
      q.on('error', () => {});
      this.queues.set(kind, q);
    }
    return q;
  }

  async enqueue(job: JobSpec): Promise<Enqueued> {
    if (this.closed) throw new RestyleError('store_unavailable', `the job queue at REDIS_URL (${this.location}) is closed`, { retryable: true });
    const failed = await this.write(async () => {
      if (!this.knownKinds.has(job.kind)) {
        await this.client.sAdd(this.kindsKey, job.kind);
        this.knownKinds.add(job.kind);
      }
      const q = this.queue(job.kind);
      // Asked on the same connection before the add (so Redis answers it first), in the same round trip.
      const inFailedSet = this.client.zScore(q.toKey('failed'), toBullId(job.id)).catch(() => null);
      // An id BullMQ still holds (waiting, running, done within keepDoneMs, failed) is not added again.
      await q.add(job.kind, job.payload, {
        jobId: toBullId(job.id),
        attempts: this.policy.attempts,
        backoff: { type: 'restyle' },
        removeOnComplete: { age: Math.ceil(this.policy.keepDoneMs / 1000) },
        removeOnFail: false,
      });
      return (await inFailedSet) !== null;
    });
    return failed ? { created: false, failed } : { created: true };
  }

  handle<P>(kind: string, handler: JobHandler<P>): void {
    this.handlers.set(kind, handler as JobHandler<unknown>);
  }

  async start(options: QueueRunOptions = {}): Promise<void> {
    if (this.closed || this.workers.length > 0) return;
    for (const [kind, handler] of this.handlers) {
      // Workers block on Redis: their own connection, which may queue commands while Redis restarts.
      const connection = this.client.duplicate({ disableOfflineQueue: false });
      connection.on('error', () => {});
      this.workerClients.push(connection);
      await connection.connect();
      const worker = new this.bull.Worker(`${this.prefix}.${kind}`, (job: Job) => this.run(kind, handler, job), {
        connection: connection as never,
        prefix: this.prefix,
        concurrency: options.concurrency ?? 8,
        lockDuration: this.leaseMs,
        stalledInterval: Math.max(1_000, Math.floor(this.leaseMs / 2)),
        // A job whose worker was killed is "stalled"; it goes back to waiting, never to the failed set for that.
        maxStalledCount: 1_000,
        settings: { backoffStrategy: (_made: number, _type?: string, err?: Error) => (err as Retry | undefined)?.delayMs ?? this.policy.backoffMs },
      });
      worker.on('error', (error) => this.logger.warn({ err: error.message, kind }, 'queue: worker error'));
      worker.on('completed', (job) => this.settled.emit('settled', fromBullId(String(job.id))));
      worker.on('failed', (job, error) => {
        if (!job || !job.finishedOn) return; // a retry is coming
        this.logger.warn({ job: job.id, kind, reason: error.message }, 'queue: job failed');
        this.settled.emit('settled', fromBullId(String(job.id)));
      });
      this.workers.push(worker);
    }
  }

  private async run(kind: string, handler: JobHandler<unknown>, job: Job): Promise<void> {
    let payload: unknown;
    try {
      payload = handler.parse(job.data);
    } catch (error) {
      throw new this.bull.UnrecoverableError(unparsable(kind, error));
    }
    let state: Record<string, unknown> = isRecord(job.progress) ? job.progress : {};
    const attempt = Math.max(1, job.attemptsStarted);
    const ctx: JobContext = {
      id: fromBullId(String(job.id)),
      kind,
      attempt,
      createdAt: job.timestamp,
      get state() {
        return state;
      },
      save: async (patch) => {
        const next = { ...state, ...patch };
        await job.updateProgress(next);
        state = next;
      },
    };
    try {
      await handler.run(payload, ctx);
    } catch (error) {
      const d = decide(error, job.attemptsMade + 1, this.policy);
      if (d.fail) {
        await tellGaveUp(handler, payload, ctx, d.reason, this.logger);
        throw new this.bull.UnrecoverableError(d.reason);
      }
      this.logger.info({ job: job.id, kind, attempt, delayMs: d.delayMs, reason: d.reason }, 'queue: job will be retried');
      throw Object.assign(new Error(d.reason), { delayMs: d.delayMs }) as Retry;
    }
  }

  private async kinds(): Promise<string[]> {
    const stored = await this.write(() => this.client.sMembers(this.kindsKey));
    return [...new Set([...stored, ...this.handlers.keys()])];
  }

  async outcome(id: string): Promise<JobOutcome> {
    // The few fields it needs (one HMGET), not the whole job: every request waiting for a post asks.
    const job = await this.lookUp(id, async (q, bullId) => {
      const [timestamp, finishedOn, progress, failedReason] = (await this.client.hmGet(q.toKey(bullId), ['timestamp', 'finishedOn', 'progress', 'failedReason'])) as (string | null)[];
      return timestamp == null ? undefined : { q, bullId, finishedOn, progress, failedReason };
    });
    if (!job) return { status: 'unknown', state: {} };
    const saved = parseProgress(job.progress);
    // BullMQ sets finishedOn when a job completes or fails for good (and clears it when one is retried):
    // without it the job is waiting, running or delayed, and its state needs no second look-up.
    if (!job.finishedOn) return { status: 'pending', state: saved };
    const state = await this.write(() => job.q.getJobState(job.bullId));
    if (state === 'completed') return { status: 'done', state: saved };
    if (state === 'failed') return { status: 'failed', state: saved, reason: job.failedReason ?? '' };
    return { status: state === 'unknown' ? 'unknown' : 'pending', state: saved };
  }

  onSettled(listener: (id: string) => void): () => void {
    this.settled.on('settled', listener);
    return () => this.settled.off('settled', listener);
  }

  async failed(limit = 100): Promise<FailedJob[]> {
    const out: FailedJob[] = [];
    for (const kind of await this.kinds()) {
      const jobs = await this.write(() => this.queue(kind).getFailed(0, limit - 1));
      for (const j of jobs) out.push({ id: fromBullId(String(j.id)), kind, reason: j.failedReason ?? '', attempts: j.attemptsMade, failedAt: j.finishedOn ?? j.timestamp });
    }
    return out.sort((a, b) => b.failedAt - a.failedAt).slice(0, limit);
  }

  async retry(id: string): Promise<boolean> {
    const job = await this.find(id);
    if (!job || !(await job.isFailed())) return false;
    await this.write(() => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }));
    return true;
  }

  async drop(id: string): Promise<boolean> {
    const job = await this.find(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'failed' && state !== 'waiting' && state !== 'delayed') return false;
    await this.write(() => job.remove());
    return true;
  }

  private find(id: string): Promise<Job | undefined> {
    return this.lookUp(id, (q, bullId) => q.getJob(bullId));
  }

  /** `get` on the queue of each kind until one has the job. */
  private async lookUp<T>(id: string, get: (q: Queue, bullId: string) => Promise<T | undefined>): Promise<T | undefined> {
    const bullId = toBullId(id);
    // Our ids start with their kind (`http.post:…`): one look-up for those, not one per known kind.
    const named = [...this.handlers.keys(), ...this.knownKinds].find((kind) => id.startsWith(`${kind}:`));
    if (named) {
      const found = await this.write(() => get(this.queue(named), bullId));
      if (found !== undefined) return found;
    }
    for (const kind of await this.kinds()) {
      if (kind === named) continue;
      const found = await this.write(() => get(this.queue(kind), bullId));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async stats(): Promise<QueueStats> {
    const stats: QueueStats = { depth: 0, oldestAgeMs: 0, retrying: 0, failed: 0 };
    let oldest = Infinity;
    for (const kind of await this.kinds()) {
      const q = this.queue(kind);
      const c = await this.write(() => q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed'));
      stats.depth += (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
      stats.retrying += c.delayed ?? 0; // nothing else is delayed: only retries wait for a time
      stats.failed += c.failed ?? 0;
      // The oldest of each state is at one end of its list: ask for both ends rather than rely on order.
      for (const type of ['wait', 'active', 'delayed'] as const) {
        const jobs = [...(await this.write(() => q.getJobs(type, 0, 0, true))), ...(await this.write(() => q.getJobs(type, 0, 0, false)))];
        for (const j of jobs) oldest = Math.min(oldest, j.timestamp);
      }
    }
    if (Number.isFinite(oldest)) stats.oldestAgeMs = Math.max(0, Date.now() - oldest);
    return stats;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new RestyleError('store_unavailable', `the job queue at REDIS_URL (${this.location}) is closed`, { retryable: true });
    await this.write(() => this.client.set(`${this.prefix}:queue:ping`, String(Date.now()), { PX: 60_000 }));
  }

  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const graceful = Promise.allSettled(this.workers.map((w) => w.close()));
    const late = await Promise.race([graceful.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
    clearTimeout(timer);
    // Past the grace (a worker's close waits for its running jobs, even forced), the connections are cut:
    // jobs still running keep their lock until it runs out, and another worker then takes them.
    if (!late) await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of [...this.workerClients, this.client]) {
      try {
        c.destroy();
      } catch {
        // already closed
      }
    }
  }

  /** A Redis call bounded in time, failing as `store_unavailable` with the (redacted) URL. */
  private async write<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await within(op(), this.timeoutMs, `no answer from Redis within ${this.timeoutMs} ms`);
    } catch (error) {
      throw unavailable(this.location, error);
    }
  }
}

function unavailable(shown: string, error: unknown): RestyleError {
  if (error instanceof RestyleError) return error;
  return new RestyleError('store_unavailable', `job queue at REDIS_URL (${shown}) is unavailable: ${toRestyleError(error).message}`, { cause: error, retryable: true });
}

/** BullMQ refuses ':' in custom ids (its key separator): escaped reversibly, so listed ids are ours. */
function toBullId(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

function fromBullId(id: string): string {
  return id.replace(/%3A/g, ':').replace(/%25/g, '%');
}

/** A job's `progress` field as BullMQ stores it (JSON): what the job saved, `{}` for anything else. */
function parseProgress(text: string | null | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '0');
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
