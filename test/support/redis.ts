import { inject, onTestFinished } from 'vitest';
import { launchRedis, type RedisProcess } from './redis-server.js';

const MISSING = 'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL';

/** The Redis shared by the run (global-setup). Throws, so the test fails rather than skips, when there is none. */
export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(MISSING);
  return url;
}

/**
 * A disposable redis-server of the caller's own, on its own free port, which it may stop, restart, pause
 * and resume ("Redis goes down" tests). Stopped when the test finishes, or with the worker if started
 * outside a test.
 */
export async function startRedis(options: { durableDir?: string } = {}): Promise<RedisProcess> {
  const bin = inject('redisServerBin');
  if (!bin) throw new Error('redis-server not found: install it (apt-get install redis-server); REDIS_URL cannot stand in for a server a test stops and restarts');
  const redis = await launchRedis(bin, undefined, options.durableDir);
  try {
    onTestFinished(() => redis.stop());
  } catch {
    // Not inside a test (a hook or a factory): launchRedis kills it when the worker exits.
  }
  return redis;
}
