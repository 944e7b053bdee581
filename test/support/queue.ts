import { join } from 'node:path';
import { openBullQueue } from '../../src/queue/bullmq.js';
import { openOutboxQueue } from '../../src/queue/outbox.js';
import type { JobQueue, QueuePolicy } from '../../src/queue/types.js';
import { redisUrl } from './redis.js';
import { tmpDir } from './tmp.js';

export type QueueKind = 'sqlite' | 'redis';

/**
 * A durable queue of either engine for a test: the SQLite outbox in `dir`/restyle.sqlite (the store's file
 * when `dir` is its data dir; a fresh temporary folder by default), or BullMQ on the test redis-server under a
 * prefix of its own.
 */
export function openTestQueue(kind: QueueKind, policy: Partial<QueuePolicy>, dir?: string): Promise<JobQueue> {
  if (kind === 'sqlite') return openOutboxQueue({ path: join(dir ?? tmpDir('queue'), 'restyle.sqlite'), policy, pollMs: 20 });
  return openBullQueue({ url: redisUrl(), prefix: `tq-${process.pid}-${Math.random().toString(36).slice(2)}`, policy });
}
