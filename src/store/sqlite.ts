import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { RestyleError } from '../errors.js';
import { KeyvNamespace } from './keyv-namespace.js';
import type { Namespace, NamespaceName, Store } from './types.js';

/**
 * The embedded default: one SQLite file (`data/restyle.sqlite`), no server to run. WAL mode so the bot and
 * the CLI can use the file at the same time; claims use a table with a primary key, so "first writer wins"
 * holds across processes.
 */
export async function openSqliteStore(path: string): Promise<Store> {
  const fail = (error: unknown): RestyleError =>
    new RestyleError('store_unavailable', `SQLite store at ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true });
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw fail(error);
  }
  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5000 });
  adapter.on('error', () => {}); // surfaced through the rejected calls instead
  const query = adapter.query.bind(adapter) as (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;
  try {
    await query('PRAGMA journal_mode=WAL');
    await query('CREATE TABLE IF NOT EXISTS restyle_claims(key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
  } catch (error) {
    throw fail(error);
  }
  const namespaces = new Map<string, Namespace<unknown>>();
  let closed = false;

  return {
    kind: 'sqlite',
    location: path,
    ns<T>(name: NamespaceName): Namespace<T> {
      let ns = namespaces.get(name);
      if (!ns) {
        const keyv = new Keyv<unknown>({ store: adapter, namespace: name, throwOnErrors: true });
        keyv.on('error', () => {});
        const prefix = `${name}:`;
        ns = new KeyvNamespace<unknown>(keyv, fail, async function* scan() {
          // Exact prefix match (LIKE would treat "_" as a wildcard), paged to keep memory flat.
          let after = prefix;
          for (;;) {
            const rows = await query('SELECT key FROM keyv WHERE key > ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT 500', after, prefix.length, prefix);
            if (rows.length === 0) return;
            for (const row of rows) yield String(row.key).slice(prefix.length);
            after = String(rows[rows.length - 1]!.key);
          }
        });
        namespaces.set(name, ns);
      }
      return ns as Namespace<T>;
    },
    async claim(key, ttlMs) {
      const now = Date.now();
      try {
        // Insert, or take over an expired claim; RETURNING tells this caller whether it won.
        const rows = await query(
          'INSERT INTO restyle_claims(key, expires_at) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE restyle_claims.expires_at <= ? RETURNING key',
          key,
          now + ttlMs,
          now,
        );
        return rows.length === 1;
      } catch (error) {
        throw fail(error);
      }
    },
    async release(key) {
      try {
        await query('DELETE FROM restyle_claims WHERE key = ?', key);
      } catch (error) {
        throw fail(error);
      }
    },
    async ping() {
      if (closed) throw fail(new Error('store is closed'));
      try {
        await query('SELECT 1');
      } catch (error) {
        throw fail(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await adapter.disconnect().catch(() => {});
    },
  };
}
