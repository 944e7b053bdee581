import { createRequire } from 'node:module';
import Database from 'better-sqlite3';

export type Row = Record<string, unknown>;

/** One statement on the connection: the rows it returns (SELECT, PRAGMA, … RETURNING), else none. */
export type SqliteQuery = (sql: string, ...params: unknown[]) => Promise<Row[]>;

export interface SqliteConnection {
  query: SqliteQuery;
  /** Rows changed by a statement without RETURNING (tests edit rows with it). */
  run(sql: string, ...params: unknown[]): Promise<{ changes: number }>;
  close(): void;
}

/**
 * The driver's compiled addon, named: better-sqlite3 otherwise finds it with `bindings`, which tries a dozen
 * paths (1–4 ms of every start). Where a build put it elsewhere, that search is kept.
 */
export const ADDON: string | undefined = (() => {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
})();

/** Prepared statements kept per connection; the SQL texts in use are a few dozen, a bound keeps odd ones out. */
const CACHED_STATEMENTS = 256;

/**
 * A synchronous SQLite connection (better-sqlite3) behind a promise-shaped `query`. Synchronous on purpose:
 * a statement takes microseconds, so the ack path's durable write never waits in a queue behind other
 * statements on a thread pool, as it did with the asynchronous driver. Statements are prepared once and kept.
 * Errors carry SQLite's code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_PRIMARYKEY`…) and reject the promise.
 */
export function openSqliteConnection(path: string, busyTimeoutMs: number): SqliteConnection {
  const db = new Database(path, { timeout: busyTimeoutMs, ...(ADDON ? { nativeBinding: ADDON } : {}) });
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement) return statement;
    statement = db.prepare(sql);
    if (statements.size >= CACHED_STATEMENTS) statements.delete(statements.keys().next().value!);
    statements.set(sql, statement);
    return statement;
  };
  const rows = (sql: string, params: unknown[]): Row[] => {
    const statement = prepared(sql);
    const values = params.map(bindable);
    if (statement.reader) return statement.all(...values) as Row[];
    statement.run(...values);
    return [];
  };
  // Async only for the promise shape: the statement still runs at once, and a throw becomes a rejection.
  return {
    query: async (sql, ...params) => rows(sql, params),
    run: async (sql, ...params) => ({ changes: prepared(sql).run(...params.map(bindable)).changes }),
    close: () => {
      statements.clear();
      if (db.open) db.close();
    },
  };
}

/** What the asynchronous driver bound implicitly: booleans as 0/1, undefined as NULL. */
function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}
