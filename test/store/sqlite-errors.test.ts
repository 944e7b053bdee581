import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { sqliteError } from '../../src/store/sqlite-errors.js';
import { tmpDir } from '../support/tmp.js';

/** A real error from better-sqlite3: `sql` run on a fresh database in a temp dir. */
function realError(sql: string): unknown {
  const db = new Database(`${tmpDir('sqlite-errors')}/t.sqlite`);
  try {
    db.exec(sql);
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error(`${sql} did not fail`);
}

describe('sqliteError: one rule for the store and the job queue', () => {
  it('a statement SQLite refuses is store_error, not retryable, and names the file and the reason', () => {
    const e = sqliteError('SQLite store at data/x.sqlite', realError('SELECT * FROM no_such_table'), 'store_unavailable');
    expect(e).toMatchObject({ code: 'store_error', retryable: false });
    expect(e.message).toMatch(/^SQLite store at data\/x\.sqlite failed: no such table: no_such_table$/);
  });

  it('busy, locked, I/O (extended codes too), read-only, full, no permission and file-system refusals are store_unavailable, retryable', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_READONLY', 'SQLITE_FULL', 'SQLITE_PERM', 'SQLITE_CANTOPEN', 'EACCES', 'EROFS']) {
      const e = sqliteError('job queue in q.sqlite', Object.assign(new Error('x'), { code }), 'store_error');
      expect([code, e.code, e.retryable]).toEqual([code, 'store_unavailable', true]);
      expect(e.message).toBe('job queue in q.sqlite is unavailable: x');
    }
  });

  it('an error without a code is what the caller says it is (the store: its serialization; the queue: a closed shared connection)', () => {
    expect(sqliteError('SQLite store at s', new TypeError('bad JSON'), 'store_error')).toMatchObject({ code: 'store_error', retryable: false });
    expect(sqliteError('job queue in s', new TypeError('The database connection is not open'), 'store_unavailable')).toMatchObject({ code: 'store_unavailable', retryable: true });
  });

  it('a RestyleError passes through unchanged', () => {
    const original = new RestyleError('conflict', 'taken');
    expect(sqliteError('job queue in s', original, 'store_error')).toBe(original);
  });
});
