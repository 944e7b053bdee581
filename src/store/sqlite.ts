import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Keyv from 'keyv';
import { RestyleError } from '../errors.js';
import { sqliteError } from './sqlite-errors.js';
import { KeyvNamespace, validTtl, type Backend } from './keyv-namespace.js';
import { KEYV_TABLE_SQL, KeyvSqliteAdapter } from './keyv-sqlite.js';
import { startCheckpointer, WAL_SAFETY_PAGES } from './sqlite-checkpointer.js';
import { openSqliteConnection, type SqliteConnection, type SqliteQuery } from './sqlite-connection.js';
import { openSqliteSampleIndex } from './sqlite-sample-index.js';
import type { Namespace, NamespaceName, SampleIndex, SampleIndexOpen, Store } from './types.js';

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's write lock (the bot and the CLI share the file). */
  busyTimeoutMs?: number;
  /** Whether samples written before the index existed are indexed on open (default), and testing knobs. */
  migration?: SampleIndexOpen;
  /** How often a worker thread checkpoints the WAL (default 1 s); 0 leaves it to SQLite, on the event loop. */
  checkpointIntervalMs?: number;
}

/**
 * The embedded default: one SQLite file (`data/restyle.sqlite`), no server to run. One connection, one Keyv
 * per namespace over it. WAL mode so the bot and the CLI can use the file at the same time; claims use their
 * own table with a primary key, so "first writer wins" holds across connections and processes.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  // An error without a code here is Keyv's (de)serialization and the like, not the file's: not retryable.
  const toError = (error: unknown): RestyleError => sqliteError(`SQLite store at ${path}`, error, 'store_error');
  let closed = false;
  // No deadline of ours: a local file either answers or fails, and busyTimeout bounds waiting for locks.
  const backend: Backend = {
    async run(op) {
      if (closed) throw new RestyleError('store_unavailable', `the SQLite store at ${path} is closed`);
      try {
        return await op();
      } catch (error) {
        throw toError(error);
      }
    },
  };

  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw toError(error);
  }
  let connection: SqliteConnection | undefined;
  const checkpointMs = options.checkpointIntervalMs ?? 1_000;
  let sampleIndex: SampleIndex;
  try {
    connection = openSqliteConnection(path, options.busyTimeoutMs ?? 5_000);
    // Opening runs ~10 ms of synchronous statements (a new file, its tables): in steps, so a server that is
    // already listening (`restyle bot` answers /healthz while it starts) is not held for all of it at once.
    const { query: now } = connection;
    const stepwise: SqliteQuery = async (sql, ...params) => {
      await new Promise((resolve) => setImmediate(resolve));
      return now(sql, ...params);
    };
    await prepare(stepwise);
    if (checkpointMs > 0) await stepwise(`PRAGMA wal_autocheckpoint=${WAL_SAFETY_PAGES}`);
    await new Promise((resolve) => setImmediate(resolve));
    sampleIndex = await openSqliteSampleIndex(connection.query, (op) => backend.run(op), path, options.migration);
  } catch (error) {
    connection?.close();
    throw toError(error);
  }
  const { query } = connection;
  const checkpointer = checkpointMs > 0 ? startCheckpointer(path, checkpointMs) : undefined;
  const adapter = new KeyvSqliteAdapter(query);
  adapter.setMaxListeners(64); // each namespace's Keyv listens on the shared adapter

  const namespaces = new Map<NamespaceName, Namespace<unknown>>();

  return {
    kind: 'sqlite',
    location: path,
    sqliteQuery: query,
    sampleIndex,
    ns<T>(name: NamespaceName): Namespace<T> {
      let ns = namespaces.get(name);
      if (!ns) {
        const prefix = `${name}:`;
        // We prefix keys ourselves: Keyv skips its prefix for a key that already starts with "<ns>:", so
        // "x" and "<ns>:x" would share a row. (With useKeyPrefix off, `namespace` only labels the adapter.)
        const keyv = new Keyv({ store: adapter, namespace: name, useKeyPrefix: false, throwOnErrors: true });
        keyv.on('error', () => {}); // rethrown to the caller (throwOnErrors); the event is noise
        ns = new KeyvNamespace<unknown>(keyv, backend, () => rawEntries(query, prefix), (key) => `${prefix}${key}`);
        namespaces.set(name, ns);
      }
      return ns as Namespace<T>;
    },
    async claim(key, ttlMs) {
      const ttl = validTtl(ttlMs);
      return backend.run(() => claimRow(query, key, ttl));
    },
    async release(key) {
      await backend.run(() => query('DELETE FROM restyle_claims WHERE key = ?', key));
    },
    async ping() {
      await backend.run(() => query('SELECT 1 FROM keyv LIMIT 1'));
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      connection.close(); // nothing left to tell the caller: writes already resolved
    },
  };
}

/** Take `key` for `ttlMs`: true when this caller wrote the claim (a new one, or one that had expired). */
async function claimRow(query: SqliteQuery, key: string, ttlMs: number): Promise<boolean> {
  const now = Date.now();
  // One statement, so atomic across connections: insert, or take over an expired claim. RETURNING
  // (SQLite ≥ 3.35) yields the row only when this caller wrote it.
  const rows = await query(
    `INSERT INTO restyle_claims(key, expires_at) VALUES(?, ?)
     ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE restyle_claims.expires_at <= ?
     RETURNING key`,
    key,
    now + ttlMs,
    now,
  );
  return rows.length === 1;
}

/** Settings, the claims table, and a sweep of what expired while nobody had the file open. */
async function prepare(query: SqliteQuery): Promise<void> {
  await query('PRAGMA journal_mode=WAL');
  // In WAL mode NORMAL keeps every commit across a crash of the process (the OS has it) and syncs at
  // checkpoints; FULL would add an fsync to every save (~0.5 ms). Only a power cut can lose the last commits.
  await query('PRAGMA synchronous=NORMAL');
  await query(KEYV_TABLE_SQL);
  await query('CREATE TABLE IF NOT EXISTS restyle_claims(key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
  // Expired rows are only dropped when read; sweep them at start so the file does not grow forever.
  const now = Date.now();
  await query('DELETE FROM restyle_claims WHERE expires_at <= ?', now);
  await query(`DELETE FROM keyv WHERE json_valid(value) AND json_extract(value, '$.expires') <= ?`, now);
}

/**
 * Every row of one namespace, paged by key. Not KeyvSqlite's iterator: its `LIKE 'ns:%'` treats `_` as a
 * wildcard, and its OFFSET paging skips rows when expired ones are deleted during the walk. The range
 * [`ns:`, `ns;`) is exactly the keys starting with `ns:` (';' follows ':'), and can use the primary key.
 */
async function* rawEntries(query: SqliteQuery, prefix: string): AsyncIterable<[string, string | undefined]> {
  const end = `${prefix.slice(0, -1)};`;
  const page = 200;
  let rows = await query('SELECT key, value FROM keyv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?', prefix, end, page);
  for (;;) {
    for (const row of rows) yield [String(row.key).slice(prefix.length), typeof row.value === 'string' ? row.value : undefined];
    if (rows.length < page) return;
    const after = String(rows[rows.length - 1]!.key);
    // Statements are synchronous: let the event loop run between pages of a long walk (a retention sweep).
    await new Promise((resolve) => setImmediate(resolve));
    rows = await query('SELECT key, value FROM keyv WHERE key > ? AND key < ? ORDER BY key LIMIT ?', after, end, page);
  }
}

