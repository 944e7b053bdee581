import { openSqliteConnection, type Row, type SqliteQuery } from '../store/sqlite-connection.js';

export type { Row, SqliteQuery };

/**
 * The queue's view of a SQLite connection. `all` resolves with the rows a statement returns; statements
 * whose count matters say `RETURNING`, so the same code runs on a connection of its own or on the store's
 * (`sharedSqliteDb`).
 */
export interface SqliteDb {
  all(sql: string, ...params: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** A connection of its own also counts changed rows without RETURNING (tests edit job rows with it). */
export interface OwnSqliteDb extends SqliteDb {
  run(sql: string, ...params: unknown[]): Promise<{ changes: number }>;
}

export async function openSqliteDb(path: string, busyTimeoutMs: number): Promise<OwnSqliteDb> {
  const connection = openSqliteConnection(path, busyTimeoutMs);
  return { all: connection.query, run: connection.run, close: async () => connection.close() };
}

/**
 * The store's own connection to the same file (`Store.sqliteQuery`). One connection per process means one
 * writer: a second connection's writes would meet the store's in SQLite's busy handler, which sleeps 1, 2,
 * 5, 10… ms, on the ack path. The store owns it, so closing the queue leaves it open.
 */
export function sharedSqliteDb(query: SqliteQuery): SqliteDb {
  return { all: query, close: () => Promise.resolve() };
}
