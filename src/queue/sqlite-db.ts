import sqlite3 from 'sqlite3';
import { RestyleError } from '../errors.js';

export type Row = Record<string, unknown>;

/** A promise-shaped sqlite3 connection: the driver @keyv/sqlite already uses, opened on the same file. */
export interface SqliteDb {
  all(sql: string, ...params: unknown[]): Promise<Row[]>;
  run(sql: string, ...params: unknown[]): Promise<{ changes: number }>;
  close(): Promise<void>;
}

export async function openSqliteDb(path: string, busyTimeoutMs: number): Promise<SqliteDb> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(d)));
  });
  db.configure('busyTimeout', busyTimeoutMs);
  const all = (sql: string, ...params: unknown[]): Promise<Row[]> =>
    new Promise((resolve, reject) => db.all(sql, params, (error: Error | null, rows: Row[]) => (error ? reject(error) : resolve(rows))));
  const run = (sql: string, ...params: unknown[]): Promise<{ changes: number }> =>
    new Promise((resolve, reject) =>
      db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes });
      }),
    );
  return {
    all,
    run,
    close: () => new Promise((resolve) => db.close(() => resolve())),
  };
}

/** A SQLite failure as the store reports it: `store_unavailable` when the file cannot be used now. */
export function sqliteError(path: string, error: unknown): RestyleError {
  if (error instanceof RestyleError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const busy = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|READONLY|FULL|PERM)/.test(code) || !code.startsWith('SQLITE_');
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new RestyleError(busy ? 'store_unavailable' : 'store_error', `job queue in ${path} ${busy ? 'is unavailable' : 'failed'}: ${reason}`, { cause: error, retryable: busy });
}
