/**
 * One storage interface for all of restyle (grammY's StorageAdapter idea): Redis when REDIS_URL is set,
 * else a SQLite file. Every write resolves only once the value is persisted, and every failure is a
 * `RestyleError` (`store_unavailable` when the backend cannot be reached), so callers can tell the
 * user "saved" truthfully.
 */
export type NamespaceName =
  | 'cache' // styled-text cache (TTL)
  | 'channels' // channel -> style mappings made in chat
  | 'samples' // training samples saved from chat
  | 'dedupe' // claims (set-if-absent) for retries and double reactions
  | 'feedback' // 👍/👎 on restyled replies
  | 'replies' // what the bot posted: platform message -> origin (style, neutral text)
  | 'jobs' // training jobs being watched
  | 'models' // model registry
  | 'previews' // /restyle previews waiting for a button press (TTL)
  | 'idempotency' // HTTP API responses by Idempotency-Key (TTL)
  | 'meta';

export interface Namespace<T> {
  get(key: string): Promise<T | undefined>;
  /** Resolves only after the value is durably written; `ttlMs` expires it. */
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Every live entry of the namespace, in no particular order. */
  entries(): AsyncIterable<[key: string, value: T]>;
  /** The values of `keys`, in their order (undefined where missing), in one round trip. */
  getMany(keys: readonly string[]): Promise<Array<T | undefined>>;
}

/**
 * Which samples a query wants; every field narrows, none means all. The store indexes these fields of each
 * value in the `samples` namespace (status, style, channel, platform, savedBy/author, createdAt), so a
 * query reads only what it returns instead of decoding every sample.
 */
export interface SampleWhere {
  status?: readonly string[];
  style?: string;
  channel?: string;
  platform?: string;
  /** `savedBy` or `author`. */
  user?: string;
}

/** A position in the (createdAt, key) order: the query returns what comes strictly after it. */
export interface SampleCursor {
  createdAt: string;
  key: string;
}

/** The store's index over the `samples` namespace, kept in step with every write to it. */
export interface SampleIndex {
  /** Keys of matching samples, oldest first (createdAt, then key), at most `limit`, after `after`. */
  keys(where: SampleWhere, page?: { limit?: number; after?: SampleCursor }): Promise<string[]>;
  /** Matching samples per status (the status in `where` is ignored). */
  counts(where: Omit<SampleWhere, 'status'>): Promise<Record<string, number>>;
  /** Whether every stored sample is indexed (a store opened with `migrate: false` may not be yet). */
  state(): Promise<SampleIndexState>;
  /** Index the samples written before the index existed, resuming an interrupted migration; a no-op when ready. */
  migrate(): Promise<void>;
}

/**
 * `ready`: queries can be answered. `unindexed`: samples written before the index existed, never migrated.
 * `interrupted`: a migration stopped half-way (it resumes where it stopped). Until ready, `keys` and `counts`
 * refuse with `store_error` rather than answer from a partial index.
 */
export type SampleIndexState = 'ready' | 'unindexed' | 'interrupted';

/** How a store treats samples written before the index existed when it opens. */
export interface SampleIndexOpen {
  /** false: open without indexing them (`restyle doctor` reports it, `doctor --fix` runs it); default true. */
  migrate?: boolean;
  /** Testing only: fail after this many batches, as a crash half-way would. */
  interruptAfterBatches?: number;
  /** Rows per batch. */
  batch?: number;
}

export interface Store {
  readonly kind: 'redis' | 'sqlite';
  /** Where the data lives, safe to print (Redis password redacted). */
  readonly location: string;
  /** The node-redis client of a Redis store (undefined for SQLite), for state shared across replicas (rate limits). */
  readonly redisClient?: unknown;
  /** The SQLite store's connection (undefined for Redis): the outbox queue shares it, so a process has one writer on the file. */
  readonly sqliteQuery?: (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;
  ns<T>(name: NamespaceName): Namespace<T>;
  /** The index over `ns('samples')`; migrated from a store written before it existed when the store opened. */
  readonly sampleIndex: SampleIndex;
  /**
   * Atomic set-if-absent with a TTL: true for the first caller only, across processes
   * (Redis `SET NX PX`, SQLite unique insert). Used to dedupe Slack retries and double reactions, and
   * to run an HTTP request with an Idempotency-Key once.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Give a claim back (e.g. the work it guarded failed and may be retried). */
  release(key: string): Promise<void>;
  /** Throws `store_unavailable` when the backend cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
