import { RestyleError } from '../errors.js';

/** SQLite's primary result codes that mean the file cannot be used now (retry later), not a bad statement. */
const UNAVAILABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_FULL', 'SQLITE_MISUSE']);

/**
 * A SQLite failure as a typed error, one rule for the store and the job queue: `store_unavailable`
 * (retryable) when the file cannot be used now — SQLite says busy, locked, I/O error, read-only, full, no
 * permission (better-sqlite3 gives extended codes such as SQLITE_IOERR_WRITE: the primary code decides) — or
 * the file system refused (EACCES, ENOTDIR, EROFS…); `store_error` for a statement SQLite refused. An error
 * without a code did not come from SQLite or the file system: the caller says what it is (`withoutCode`).
 * `what` names the file's user in the message ("SQLite store at data/restyle.sqlite").
 */
export function sqliteError(what: string, error: unknown, withoutCode: 'store_error' | 'store_unavailable'): RestyleError {
  if (error instanceof RestyleError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const kind =
    typeof code !== 'string' ? withoutCode : !code.startsWith('SQLITE_') || UNAVAILABLE.has(code.split('_', 2).join('_')) ? 'store_unavailable' : 'store_error';
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new RestyleError(kind, `${what} ${kind === 'store_unavailable' ? 'is unavailable' : 'failed'}: ${reason}`, { cause: error, retryable: kind === 'store_unavailable' });
}
