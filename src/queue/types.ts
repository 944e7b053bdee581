/**
 * Durable work (record before acknowledging): an adapter enqueues a unit of work under an id derived from
 * the platform event (so a redelivered event is the same job), acknowledges, and a worker — this process or
 * another — runs it at least once. Two engines behind one interface: BullMQ on Redis (`REDIS_URL`), and an
 * outbox table in the embedded SQLite file.
 */
export interface JobSpec {
  /** Which handler runs it (`slack.answer`, `http.post`…). */
  kind: string;
  /** Idempotency key: enqueueing an id that is already queued, running or recently done adds nothing. */
  id: string;
  /** JSON-serializable; parsed by the handler's `parse` when the job runs (it may come from an older version). */
  payload: unknown;
}

/** What a running job can see and record. */
export interface JobContext {
  readonly id: string;
  readonly kind: string;
  /** 1 on the first run; a job picked up again after a crash or a retry sees a higher number. */
  readonly attempt: number;
  /** When the job was first enqueued (epoch ms): a rerun looks for its own earlier posts from then on. */
  readonly createdAt: number;
  /** What earlier attempts recorded with `save` (e.g. the platform's message id), `{}` at first. */
  readonly state: Readonly<Record<string, unknown>>;
  /** Durably merge `patch` into `state` before going on, so a retried job finds it (post once). */
  save(patch: Record<string, unknown>): Promise<void>;
}

export interface JobHandler<P = unknown> {
  /** Validate the stored payload; throwing sends the job to the failed set with the reason (never blocks the queue). */
  parse(payload: unknown): P;
  /**
   * Do the work. Throwing a `RestyleError` with `retryable: false` fails the job at once (the platform
   * refused it); anything else is retried with backoff, after `details.retryAfterMs` when the error has it.
   */
  run(payload: P, job: JobContext): Promise<void>;
  /**
   * Called once as the job goes to the failed set (the platform refused it, or its attempts ran out), with the
   * reason: to tell the person still waiting for it. Best effort: a throw is logged, the job fails either way.
   */
  gaveUp?(payload: P, job: JobContext, reason: string): Promise<void>;
}

export interface FailedJob {
  id: string;
  kind: string;
  reason: string;
  attempts: number;
  /** Epoch ms. */
  failedAt: number;
}

export interface QueueStats {
  /** Jobs not finished: waiting, running or waiting for a retry. */
  depth: number;
  /** Age of the oldest unfinished job in ms (0 when there is none). */
  oldestAgeMs: number;
  /** Unfinished jobs that have failed at least once and wait for another attempt. */
  retrying: number;
  /** Jobs in the failed set. */
  failed: number;
}

/** Where a job is: `pending` (waiting, running or waiting to retry), `done`, `failed`, or `unknown` (never enqueued, or forgotten). */
export interface JobOutcome {
  status: 'pending' | 'done' | 'failed' | 'unknown';
  /** What the job recorded with `save`. */
  state: Readonly<Record<string, unknown>>;
  reason?: string;
}

export interface QueueRunOptions {
  /** Jobs run at once by this process. */
  concurrency?: number;
}

export interface Enqueued {
  created: boolean;
  failed?: boolean;
}

export interface JobQueue {
  readonly kind: 'redis' | 'sqlite';
  /** Safe to print. */
  readonly location: string;
  /**
   * Resolves once the job is durably recorded; `created` is false when the id was already known (SQLite; BullMQ
   * always says true, adding nothing for a known id). `failed`: a job with this id was already in the failed set,
   * so nothing was added (see `drop` to run it anew).
   */
  enqueue(job: JobSpec): Promise<Enqueued>;
  /** Register the handler for a kind before `start` (a process runs only the kinds it has handlers for). */
  handle<P>(kind: string, handler: JobHandler<P>): void;
  /** Start taking jobs for the registered kinds. */
  start(options?: QueueRunOptions): Promise<void>;
  /** Where the job with this id is, across processes. */
  outcome(id: string): Promise<JobOutcome>;
  /** Resolves when a job this process runs is done or failed (other processes' jobs: poll `outcome`). */
  onSettled(listener: (id: string) => void): () => void;
  failed(limit?: number): Promise<FailedJob[]>;
  /** Move a failed job back to waiting; false if there is no such failed job. */
  retry(id: string): Promise<boolean>;
  /** Delete a failed or waiting job; false if there is none. */
  drop(id: string): Promise<boolean>;
  stats(): Promise<QueueStats>;
  /** Throws `store_unavailable` when a job could not be written now (for /readyz). */
  ping(): Promise<void>;
  /** Stop taking jobs, let running ones finish (up to `graceMs`), close connections. */
  close(graceMs?: number): Promise<void>;
}

export interface QueuePolicy {
  /** Attempts before a job goes to the failed set. */
  attempts: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How long done jobs are remembered, so a redelivered event is not run again. */
  keepDoneMs: number;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = { attempts: 8, backoffMs: 1_000, maxBackoffMs: 60_000, keepDoneMs: 24 * 3600 * 1000 };
