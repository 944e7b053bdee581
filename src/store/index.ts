import { mkdir } from 'node:fs/promises';
import type { Settings } from '../config/load.js';
import { RestyleError } from '../errors.js';
import type { SampleIndexOpen, Store } from './types.js';

export type { Namespace, NamespaceName, SampleIndexState, Store } from './types.js';
export { redactRedisUrl } from './redis-url.js';

/**
 * Redis when REDIS_URL is set, else the SQLite file under RESTYLE_DATA_DIR (created if missing). Each
 * driver is imported only when chosen: the Redis client alone takes longer to load than Node to start.
 */
export async function openStore(settings: Settings['store'], options: { migration?: SampleIndexOpen } = {}): Promise<Store> {
  if (settings.redisUrl) return (await import('./redis.js')).openRedisStore({ url: settings.redisUrl, connectTimeoutMs: settings.connectTimeoutMs, ...options });
  try {
    await mkdir(settings.dataDir, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RestyleError('store_unavailable', `cannot create the data directory ${settings.dataDir} (RESTYLE_DATA_DIR): ${reason}`, { cause: error });
  }
  return (await import('./sqlite.js')).openSqliteStore(settings.sqlitePath, options);
}
