import { RestyleError } from '../errors.js';
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

export function openSqliteDb(path: string, busyTimeoutMs: number): Promise<OwnSqliteDb> {
  try {
    const connection = openSqliteConnection(path, busyTimeoutMs);
    return Promise.resolve({ all: connection.query, run: connection.run, close: () => Promise.resolve(connection.close()) });
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * The store's own connection to the same file (`Store.sqliteQuery`). One connection per process means one
 * writer: a second connection's writes would meet the store's in SQLite's busy handler, which sleeps 1, 2,
 * 5, 10… ms, on the ack path. The store owns it, so closing the queue leaves it open.
 */
export function sharedSqliteDb(query: SqliteQuery): SqliteDb {
  return { all: query, close: () => Promise.resolve() };
}

/** A SQLite failure as the store reports it: `store_unavailable` when the file cannot be used now. */
export function sqliteError(path: string, error: unknown): RestyleError {
  if (error instanceof RestyleError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const busy = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|READONLY|FULL|PERM)/.test(code) || !code.startsWith('SQLITE_');
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new RestyleError(busy ? 'store_unavailable' : 'store_error', `job queue in ${path} ${busy ? 'is unavailable' : 'failed'}: ${reason}`, { cause: error, retryable: busy });
}
