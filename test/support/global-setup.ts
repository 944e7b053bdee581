import type { TestProject } from 'vitest/node';
import { findRedisServer, launchRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis the tests share; '' when none could be found (Redis tests then fail, never skip). */
    redisUrl: string;
    redisServerBin: string;
  }
}

/**
 * Starts one real redis-server on a free loopback port for the whole run (or uses REDIS_URL), so Redis
 * tests run against the real thing on any machine that has redis-server (CI installs it).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = findRedisServer() ?? '';
  project.provide('redisServerBin', bin);
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return async () => {};
  }
  if (!bin) {
    project.provide('redisUrl', '');
    return async () => {};
  }
  const redis = await launchRedis(bin);
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
