import { notIndexed } from './not-indexed.js';
import type { Row, SqliteQuery as Query } from './sqlite-connection.js';
import type { SampleCursor, SampleIndex, SampleIndexOpen, SampleIndexState, SampleWhere } from './types.js';

const FIRST = 'samples:'; // keys of the samples namespace are [FIRST, END)
const END = 'samples;';
const VERSION = '1';
/** Rows the migration indexes per transaction: small enough that an interruption loses little. */
export const MIGRATION_BATCH = 1_000;

const field = (path: string): string => `json_extract(new.value, '$.value.${path}')`;
const INDEX_ROW = `substr(new.key, ${FIRST.length + 1}), ${['status', 'style', 'channel', 'platform', 'savedBy', 'author', 'createdAt'].map(field).join(', ')}`;
const WHEN_NEW = `WHEN new.key >= '${FIRST}' AND new.key < '${END}'`;
const WHEN_OLD = `WHEN old.key >= '${FIRST}' AND old.key < '${END}'`;
const COUNTED = [
  ['all', "''"],
  ['channel', 'channel'],
  ['style', 'style'],
] as const;
const bump = (row: 'new' | 'old', by: 1 | -1): string =>
  COUNTED.map(
    ([dim, col]) =>
      `INSERT INTO restyle_sample_counts(dim, val, status, n) VALUES('${dim}', ${col === "''" ? "''" : `coalesce(${row}.${col}, '')`}, coalesce(${row}.status, ''), ${by})
       ON CONFLICT(dim, val, status) DO UPDATE SET n = n + (${by});`,
  ).join('\n');

/**
 * The schema, in the same file as Keyv's table: one row per sample with the fields queries filter on
 * (indexed), and counters per status for the whole store, each channel and each style, so `counts` reads a
 * few rows however many samples there are. Triggers on Keyv's table keep both in step with every write —
 * in the writing statement's own transaction, whichever process or code version writes.
 */
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS restyle_meta(key TEXT PRIMARY KEY, value TEXT)',
  `CREATE TABLE IF NOT EXISTS restyle_samples(key TEXT PRIMARY KEY, status TEXT, style TEXT, channel TEXT, platform TEXT,
     saved_by TEXT, author TEXT, created_at TEXT) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_time ON restyle_samples(created_at, key)',
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_status ON restyle_samples(status, created_at, key)',
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_channel ON restyle_samples(channel, status, created_at, key)',
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_style ON restyle_samples(style, status, created_at, key)',
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_saver ON restyle_samples(saved_by)',
  'CREATE INDEX IF NOT EXISTS restyle_samples_by_author ON restyle_samples(author)',
  'CREATE TABLE IF NOT EXISTS restyle_sample_counts(dim TEXT, val TEXT, status TEXT, n INTEGER NOT NULL, PRIMARY KEY(dim, val, status)) WITHOUT ROWID',
  `CREATE TRIGGER IF NOT EXISTS restyle_samples_counted AFTER INSERT ON restyle_samples BEGIN ${bump('new', 1)} END`,
  `CREATE TRIGGER IF NOT EXISTS restyle_samples_uncounted AFTER DELETE ON restyle_samples BEGIN ${bump('old', -1)} END`,
  `CREATE TRIGGER IF NOT EXISTS restyle_samples_on_insert AFTER INSERT ON keyv ${WHEN_NEW} BEGIN
     DELETE FROM restyle_samples WHERE key = substr(new.key, ${FIRST.length + 1});
     INSERT INTO restyle_samples SELECT ${INDEX_ROW} WHERE json_valid(new.value);
   END`,
  `CREATE TRIGGER IF NOT EXISTS restyle_samples_on_update AFTER UPDATE OF value ON keyv ${WHEN_NEW} BEGIN
     DELETE FROM restyle_samples WHERE key = substr(new.key, ${FIRST.length + 1});
     INSERT INTO restyle_samples SELECT ${INDEX_ROW} WHERE json_valid(new.value);
   END`,
  `CREATE TRIGGER IF NOT EXISTS restyle_samples_on_delete AFTER DELETE ON keyv ${WHEN_OLD} BEGIN
     DELETE FROM restyle_samples WHERE key = substr(old.key, ${FIRST.length + 1});
   END`,
];

export type MigrationOptions = Omit<SampleIndexOpen, 'migrate'>;

/**
 * Creates the index if missing and indexes samples written before it existed, in batches that each commit
 * with the position reached, so an interrupted migration resumes where it stopped. Until it completes the
 * store does not open: queries never read a half-built index. Runs before anything else uses the connection.
 */
export async function migrateSampleIndex(query: Query, options: MigrationOptions = {}): Promise<void> {
  for (const sql of SCHEMA) await query(sql);
  const meta = async (key: string): Promise<string | undefined> => (await query('SELECT value FROM restyle_meta WHERE key = ?', key))[0]?.value as string | undefined;
  if ((await meta('samples_index_version')) === VERSION) return;
  let batches = 0;
  const size = options.batch ?? MIGRATION_BATCH;
  for (;;) {
    if (options.interruptAfterBatches !== undefined && batches >= options.interruptAfterBatches) throw new Error('sample index migration interrupted');
    const after = (await meta('samples_index_cursor')) ?? FIRST;
    const batch = `SELECT key, value FROM keyv WHERE key > ? AND key < '${END}' ORDER BY key LIMIT ${size}`;
    await query('BEGIN IMMEDIATE');
    try {
      // Re-set each value to itself: the update trigger indexes it exactly as a live write would.
      const rows = await query(`SELECT count(*) AS n, max(key) AS last FROM (${batch})`, after);
      await query(`UPDATE keyv SET value = value WHERE key IN (SELECT key FROM (${batch}))`, after);
      const { n, last } = rows[0] as { n: number; last: string | null };
      if (n < size) {
        await query("INSERT OR REPLACE INTO restyle_meta VALUES('samples_index_version', ?)", VERSION);
        await query("DELETE FROM restyle_meta WHERE key = 'samples_index_cursor'");
      } else {
        await query("INSERT OR REPLACE INTO restyle_meta VALUES('samples_index_cursor', ?)", last);
      }
      await query('COMMIT');
      if (n < size) return;
    } catch (error) {
      await query('ROLLBACK').catch(() => {});
      throw error;
    }
    batches += 1;
  }
}

/** Where the index of a store stands, read without changing anything. */
async function indexState(query: Query): Promise<SampleIndexState> {
  const hasMeta = (await query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'restyle_meta'")).length > 0;
  if (hasMeta) {
    const rows = await query("SELECT key, value FROM restyle_meta WHERE key IN ('samples_index_version', 'samples_index_cursor')");
    if (rows.some((r) => r.key === 'samples_index_version' && r.value === VERSION)) return 'ready';
    if (rows.some((r) => r.key === 'samples_index_cursor')) return 'interrupted';
  }
  return 'unindexed';
}

async function hasSamples(query: Query): Promise<boolean> {
  return (await query(`SELECT 1 FROM keyv WHERE key >= '${FIRST}' AND key < '${END}' LIMIT 1`)).length > 0;
}

/**
 * The index of a store opening: migrated first (the default), or with `migrate: false` left as it is, to be
 * reported and migrated later (`restyle doctor [--fix]`); a store with no samples yet is simply made ready.
 */
export async function openSqliteSampleIndex(query: Query, run: <R>(op: () => Promise<R>) => Promise<R>, where: string, options: SampleIndexOpen = {}): Promise<SampleIndex> {
  let state: SampleIndexState = 'ready';
  if (options.migrate === false) {
    state = await indexState(query);
    if (state === 'unindexed' && !(await hasSamples(query))) {
      await migrateSampleIndex(query, options);
      state = 'ready';
    }
  } else await migrateSampleIndex(query, options);
  return sqliteSampleIndex(query, run, {
    ready: () => {
      if (state !== 'ready') throw notIndexed(where, state);
    },
    async state() {
      if (state !== 'ready') state = await run(() => indexState(query));
      return state;
    },
    async migrate() {
      // Before anything else uses the connection (its batches are transactions on it): doctor --fix.
      await run(() => migrateSampleIndex(query, options));
      state = 'ready';
    },
  });
}

const STATUSES_ALL = ['pending', 'approved', 'rejected'];

/** Queries over the tables above; `run` maps failures like every other store call. */
function sqliteSampleIndex(
  query: Query,
  run: <R>(op: () => Promise<R>) => Promise<R>,
  lifecycle: { ready(): void } & Pick<SampleIndex, 'state' | 'migrate'>,
): SampleIndex {
  return {
    state: lifecycle.state,
    migrate: lifecycle.migrate,
    keys(where, page = {}) {
      return run(async () => {
        lifecycle.ready();
        const { sql, params } = whereClause(where, page.after);
        const limit = page.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(page.limit))}`;
        const rows = await query(`SELECT key FROM restyle_samples${sql} ORDER BY created_at, key${limit}`, ...params);
        return rows.map((r) => String(r.key));
      });
    },
    counts(where) {
      return run(async () => {
        lifecycle.ready();
        const out: Record<string, number> = Object.fromEntries(STATUSES_ALL.map((s) => [s, 0]));
        const only = Object.entries(where).filter(([, v]) => v !== undefined);
        let rows: Row[];
        if (only.length === 0) rows = await query("SELECT status, n FROM restyle_sample_counts WHERE dim = 'all' AND val = ''");
        else if (only.length === 1 && (only[0]![0] === 'channel' || only[0]![0] === 'style')) {
          rows = await query('SELECT status, n FROM restyle_sample_counts WHERE dim = ? AND val = ?', only[0]![0], only[0]![1]);
        } else {
          const { sql, params } = whereClause(where);
          rows = await query(`SELECT status, count(*) AS n FROM restyle_samples${sql} GROUP BY status`, ...params);
        }
        for (const r of rows) if (typeof r.status === 'string' && r.status !== '' && Number(r.n) > 0) out[r.status] = Number(r.n);
        return out;
      });
    },
  };
}

function whereClause(where: SampleWhere, after?: SampleCursor): { sql: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  if (where.status !== undefined) {
    terms.push(`status IN (${where.status.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...where.status);
  }
  for (const [column, value] of [['style', where.style], ['channel', where.channel], ['platform', where.platform]] as const) {
    if (value === undefined) continue;
    terms.push(`${column} = ?`);
    params.push(value);
  }
  if (where.user !== undefined) {
    terms.push('(saved_by = ? OR author = ?)');
    params.push(where.user, where.user);
  }
  if (after) {
    // The plain range on created_at lets any of the indexes seek to the page; the rest only breaks ties.
    terms.push('created_at >= ? AND (created_at > ? OR key > ?)');
    params.push(after.createdAt, after.createdAt, after.key);
  }
  return { sql: terms.length ? ` WHERE ${terms.join(' AND ')}` : '', params };
}
