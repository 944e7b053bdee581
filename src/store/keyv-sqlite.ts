import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { SqliteQuery } from './sqlite-connection.js';

/** The table @keyv/sqlite creates: files written by earlier versions open as they are. */
export const KEYV_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT)';

/**
 * Keyv's SQLite adapter on our connection (`openSqliteConnection`): the same table and statements as
 * @keyv/sqlite, which can only open its own asynchronous sqlite3 connection. Keyv still does serialization
 * and TTLs; this only reads and writes rows.
 */
export class KeyvSqliteAdapter extends EventEmitter implements KeyvStoreAdapter {
  readonly opts = { dialect: 'sqlite', table: 'keyv' };
  namespace?: string;

  constructor(private readonly query: SqliteQuery) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const [row] = await this.query('SELECT value FROM keyv WHERE key = ?', key);
    return row?.value as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const rows = await this.query('SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?))', JSON.stringify(keys));
    const byKey = new Map(rows.map((r) => [String(r.key), r.value]));
    return keys.map((key) => byKey.get(key) as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.query('INSERT INTO keyv(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.query('DELETE FROM keyv WHERE key = ? RETURNING key', key)).length > 0;
  }

  /** Only this namespace's rows (`ns:` up to `ns;`, ';' following ':'), not LIKE, where `_` is a wildcard. */
  async clear(): Promise<void> {
    if (this.namespace) await this.query('DELETE FROM keyv WHERE key >= ? AND key < ?', `${this.namespace}:`, `${this.namespace};`);
    else await this.query('DELETE FROM keyv');
  }

  /** The store closes the shared connection. */
  async disconnect(): Promise<void> {}
}
