import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { openOutboxQueue } from './outbox.js';
import type { SqliteQuery } from './sqlite-db.js';
import type { JobQueue, QueuePolicy } from './types.js';

export type { FailedJob, JobContext, JobHandler, JobQueue, JobSpec, QueueStats } from './types.js';

export interface OpenQueueOptions {
  logger?: Logger;
  policy?: Partial<QueuePolicy>;
  leaseMs?: number;
  /** The SQLite store's connection to the same file (`Store.sqliteQuery`): the outbox shares it. */
  sqliteConnection?: SqliteQuery;
}

/** BullMQ when REDIS_URL is set (bullmq is loaded only then), else the outbox table in the store's SQLite file. */
export async function openQueue(settings: Settings['store'], options: OpenQueueOptions = {}): Promise<JobQueue> {
  if (settings.redisUrl) {
    const { openBullQueue } = await import('./bullmq.js');
    return openBullQueue({ url: settings.redisUrl, commandTimeoutMs: settings.connectTimeoutMs, ...options });
  }
  const { sqliteConnection, ...rest } = options;
  return openOutboxQueue({ path: settings.sqlitePath, ...rest, ...(sqliteConnection ? { connection: sqliteConnection } : {}) });
}
