import type { Settings } from '../config/load.js';
import { openRedisStore } from './redis.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type { Namespace, NamespaceName, Store } from './types.js';
export { redactRedisUrl } from './redis.js';

/** Redis when REDIS_URL is set, else the SQLite file under RESTYLE_DATA_DIR. */
export async function openStore(settings: Settings['store']): Promise<Store> {
  return settings.redisUrl ? openRedisStore(settings.redisUrl, settings.connectTimeoutMs) : openSqliteStore(settings.sqlitePath);
}
