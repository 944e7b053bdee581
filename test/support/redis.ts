import { inject, onTestFinished } from 'vitest';
import { launchRedis, type RedisProcess } from './redis-server.js';

const MISSING = 'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL';

/** The shared test Redis. Throws (the test fails, never skips) when there is none. */
export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(MISSING);
  return url;
}

/** A disposable redis-server of the test's own, which it may stop and restart; stopped after the test. */
export async function startRedis(): Promise<RedisProcess> {
  const bin = inject('redisServerBin');
  if (!bin) throw new Error(MISSING);
  const redis = await launchRedis(bin);
  onTestFinished(() => redis.stop());
  return redis;
}
