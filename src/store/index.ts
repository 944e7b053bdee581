import { mkdir } from 'node:fs/promises';
import type { Settings } from '../config/load.js';
import { RestyleError } from '../errors.js';
import { openRedisStore } from './redis.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type { Namespace, NamespaceName, Store } from './types.js';
export { redactRedisUrl } from './redis.js';

/** Redis when REDIS_URL is set, else the SQLite file under RESTYLE_DATA_DIR (created if missing). */
export async function openStore(settings: Settings['store']): Promise<Store> {
  if (settings.redisUrl) return openRedisStore({ url: settings.redisUrl, connectTimeoutMs: settings.connectTimeoutMs });
  try {
    await mkdir(settings.dataDir, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RestyleError('store_unavailable', `cannot create the data directory ${settings.dataDir} (RESTYLE_DATA_DIR): ${reason}`, { cause: error });
  }
  return openSqliteStore(settings.sqlitePath);
}
