import { secretsOf, type Settings } from './config/load.js';
import { createLogger, type Logger } from './log.js';
import { createPostFetch } from './util/post-fetch.js';
import { LlmPool } from './llm/pool.js';
import { Restyler, type RestyleObserver } from './restyle/restyler.js';
import { openStore } from './store/index.js';
import { Metrics } from './metrics.js';
import { RateLimits } from './rate-limits.js';
import type { Store } from './store/types.js';
import type { Env } from './config/env.js';
import { applyRegistry, startRegistrySync } from './registry/apply.js';
import { openQueue } from './queue/index.js';
import type { JobQueue } from './queue/types.js';

/**
 * Everything a command, a use case or an adapter needs, built once from the settings: the composition
 * root. Collaborators can be injected (tests pass their own store or logger).
 */
export interface AppContext {
  settings: Settings;
  logger: Logger;
  store: Store;
  llm: LlmPool;
  restyler: Restyler;
  metrics: Metrics;
  /** Per-caller rate limits (config `rateLimits`). */
  limits: RateLimits;
  /** Durable work (record before ack): set for `restyle bot` and `restyle jobs`; without it adapters work inline. */
  queue?: JobQueue;
  close(): Promise<void>;
}

export interface ContextOptions {
  logger?: Logger;
  store?: Store;
  llm?: LlmPool;
  observer?: RestyleObserver;
  metrics?: Metrics;
  /**
   * Models registered with `restyle models` override the config: `once` applies them now (commands),
   * `sync` also re-reads them every 30 s so `models use`/`rollback` reach a running bot; `off` for tests
   * that want the config alone. Default `once`.
   */
  registry?: 'once' | 'sync' | 'off';
  /** Where registry entries find API keys that the config does not name. */
  env?: Env;
  /** A queue to use, or `open` to open the one the settings name (BullMQ with REDIS_URL, else the SQLite outbox). */
  queue?: JobQueue | 'open';
}

export async function createContext(settings: Settings, options: ContextOptions = {}): Promise<AppContext> {
  const logger =
    options.logger ??
    createLogger({
      level: settings.logLevel,
      secrets: secretsOf(settings),
    });
  const store = options.store ?? (await openStore(settings.store));
  // Plain JSON model calls over node:http keep-alive (streamed ones still on the global fetch): about 0.6×
  // the CPU a call (src/util/post-fetch.ts), which a busy bot spends on every restyle.
  const llm = options.llm ?? new LlmPool({ llm: settings.llm, restyle: settings.restyle, fetch: createPostFetch() });
  const metrics = options.metrics ?? new Metrics();
  let stopSync: (() => void) | undefined;
  const registry = options.registry ?? 'once';
  try {
    if (registry === 'once') await applyRegistry(settings, store, { env: options.env });
    if (registry === 'sync') stopSync = await startRegistrySync(settings, store, { env: options.env, logger });
  } catch (error) {
    if (!options.store) await store.close();
    throw error;
  }
  const restyler = new Restyler({ settings, store, llm, logger, observer: options.observer ?? metrics.observer() });
  let queue: JobQueue | undefined;
  try {
    // On SQLite the outbox shares the store's connection to the file (one writer per process, no busy waits on the ack path).
    const sqliteConnection = store.sqliteQuery && store.location === settings.store.sqlitePath ? { sqliteConnection: store.sqliteQuery } : {};
    queue = options.queue === 'open' ? await openQueue(settings.store, { logger, leaseMs: settings.queue.leaseMs, policy: { attempts: settings.queue.attempts, backoffMs: settings.queue.backoffMs }, ...sqliteConnection }) : options.queue;
  } catch (error) {
    stopSync?.();
    if (!options.store) await store.close();
    throw error;
  }
  if (queue) metrics.watchQueue(queue);
  return {
    settings,
    logger,
    store,
    llm,
    restyler,
    metrics,
    limits: new RateLimits(settings.rateLimits, store, (kind) => metrics.rateLimited.inc({ kind })),
    ...(queue ? { queue } : {}),
    async close() {
      stopSync?.();
      if (options.queue === 'open') await queue?.close(0);
      if (!options.store) await store.close();
    },
  };
}
