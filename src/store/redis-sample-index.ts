import type { createClient } from '@keyv/redis';
import { notIndexed } from './not-indexed.js';
import type { SampleCursor, SampleIndex, SampleIndexOpen, SampleIndexState, SampleWhere } from './types.js';

export type RedisClient = ReturnType<typeof createClient>;

const KNOWN_STATUSES = ['pending', 'approved', 'rejected'] as const;
const VERSION = '1';
/** Keys the migration reads per SCAN step (and indexes in one pipelined round). */
export const MIGRATION_BATCH = 1_000;

/**
 * Writes (or deletes, or only re-reads) one sample and brings its index entries in line with what is stored,
 * atomically. Sorted sets hold `createdAt \0 key` at score 0, so lexicographic ranges give the (createdAt,
 * key) order and pages; one set for all, one per status, per status and channel, per status and style, per
 * user. A hash remembers each key's members and fields, so an update removes exactly the old entries.
 * KEYS: value key, membership hash. ARGV: mode (set|del|reindex), raw value, PX or '', index prefix, key.
 */
const WRITE_AND_INDEX = `
local mode, p, id = ARGV[1], ARGV[4], ARGV[5]
local result = 1
if mode == 'set' then
  if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
elseif mode == 'del' then
  result = redis.call('DEL', KEYS[1])
end
local old = redis.call('HGET', KEYS[2], id)
if old then
  local o = cjson.decode(old)
  for _, k in ipairs(o.k) do redis.call('ZREM', k, o.m) end
  redis.call('HDEL', KEYS[2], id)
end
local raw = redis.call('GET', KEYS[1])
if not raw then return result end
local ok, data = pcall(cjson.decode, raw)
local v = ok and type(data) == 'table' and data.value or nil
if type(v) ~= 'table' then v = {} end
local function str(x) if type(x) == 'string' then return x end return nil end
local status, style, channel = str(v.status), str(v.style), str(v.channel)
local saver, author = str(v.savedBy), str(v.author)
local m = (str(v.createdAt) or '') .. '\\0' .. id
local keys = { p .. 'all' }
if status then
  table.insert(keys, p .. 's:' .. status)
  if channel then table.insert(keys, p .. 'c:' .. status .. ':' .. channel) end
  if style then table.insert(keys, p .. 'y:' .. status .. ':' .. style) end
end
if saver then table.insert(keys, p .. 'u:' .. saver) end
if author and author ~= saver then table.insert(keys, p .. 'u:' .. author) end
for _, k in ipairs(keys) do redis.call('ZADD', k, 0, m) end
redis.call('HSET', KEYS[2], id, cjson.encode({ m = m, k = keys,
  f = { status = status, style = style, channel = channel, platform = str(v.platform), savedBy = saver, author = author } }))
return result
`;

interface Fields {
  status?: string;
  style?: string;
  channel?: string;
  platform?: string;
  savedBy?: string;
  author?: string;
}

/** The Redis side of the samples index: writes through the script, queries over the sorted sets. */
export class RedisSampleIndex implements SampleIndex {
  private readonly hash: string;
  private current: SampleIndexState = 'ready';

  constructor(
    private readonly client: RedisClient,
    private readonly run: <R>(op: () => Promise<R>) => Promise<R>,
    /** `restyle:samples:` — where the values live. */
    private readonly valuePrefix: string,
    /** `restyle:idx:samples:` — where the index lives. */
    private readonly prefix: string,
    /** Safe to print: named when a query is refused. */
    private readonly where: string,
    private readonly options: SampleIndexOpen = {},
  ) {
    this.hash = `${prefix}m`;
  }

  /**
   * As the store opens: migrate (the default), or with `migrate: false` only find out where the index
   * stands, for `restyle doctor [--fix]`; a store with no samples yet is simply made ready.
   */
  async open(): Promise<void> {
    if (this.options.migrate !== false) return this.migrate();
    this.current = await this.readState();
    if (this.current === 'unindexed' && !(await this.hasSamples())) await this.migrate();
  }

  async state(): Promise<SampleIndexState> {
    if (this.current !== 'ready') this.current = await this.readState();
    return this.current;
  }

  private async readState(): Promise<SampleIndexState> {
    const [version, cursor] = await this.run(() => Promise.all([this.client.get(`${this.prefix}version`), this.client.get(`${this.prefix}migration-cursor`)]));
    return version === VERSION ? 'ready' : cursor !== null ? 'interrupted' : 'unindexed';
  }

  private async hasSamples(): Promise<boolean> {
    let cursor = '0';
    do {
      const step = await this.run(() => this.client.scan(cursor, { MATCH: `${this.valuePrefix}*`, COUNT: MIGRATION_BATCH }));
      if (step.keys.length > 0) return true;
      cursor = String(step.cursor);
    } while (cursor !== '0');
    return false;
  }

  private ready(): void {
    if (this.current !== 'ready') throw notIndexed(this.where, this.current);
  }

  /** Stores `raw` under `key` (or deletes it, or re-reads it) and re-indexes it, in one atomic script. */
  async write(mode: 'set' | 'del' | 'reindex', key: string, raw = '', ttlMs?: number): Promise<number> {
    const reply = await this.client.eval(WRITE_AND_INDEX, {
      keys: [`${this.valuePrefix}${key}`, this.hash],
      arguments: [mode, raw, ttlMs === undefined ? '' : String(ttlMs), this.prefix, key],
    });
    return Number(reply);
  }

  /**
   * Indexes samples written before the index existed: SCAN in steps, each step's position saved, so an
   * interrupted migration resumes; re-indexing a key twice is harmless. The store opens once it is done.
   */
  async migrate(options: SampleIndexOpen = this.options): Promise<void> {
    const versionKey = `${this.prefix}version`;
    const cursorKey = `${this.prefix}migration-cursor`;
    if ((await this.run(() => this.client.get(versionKey))) === VERSION) return;
    let cursor = (await this.run(() => this.client.get(cursorKey))) ?? '0';
    let batches = 0;
    do {
      if (options.interruptAfterBatches !== undefined && batches >= options.interruptAfterBatches) throw new Error('sample index migration interrupted');
      // Each step within the store's command deadline: a hung Redis fails the open instead of hanging it.
      cursor = await this.run(async () => {
        const step = await this.client.scan(cursor, { MATCH: `${this.valuePrefix}*`, COUNT: options.batch ?? MIGRATION_BATCH });
        await Promise.all(step.keys.map((k) => this.write('reindex', k.slice(this.valuePrefix.length))));
        await this.client.set(cursorKey, String(step.cursor));
        return String(step.cursor);
      });
      batches += 1;
    } while (cursor !== '0');
    await this.run(async () => {
      await this.client.set(versionKey, VERSION);
      await this.client.del(cursorKey);
    });
    this.current = 'ready';
  }

  keys(where: SampleWhere, page: { limit?: number; after?: SampleCursor } = {}): Promise<string[]> {
    return this.run(async () => {
      this.ready();
      const out: string[] = [];
      const limit = page.limit ?? Number.POSITIVE_INFINITY;
      for await (const hit of this.matching(where, page.after, false, limit)) {
        if (out.length >= limit) break;
        out.push(hit.key);
      }
      return out;
    });
  }

  counts(where: Omit<SampleWhere, 'status'>): Promise<Record<string, number>> {
    return this.run(async () => {
      this.ready();
      const defined = Object.entries(where).filter(([, v]) => v !== undefined);
      const out: Record<string, number> = Object.fromEntries(KNOWN_STATUSES.map((s) => [s, 0]));
      const single = defined.length === 1 ? defined[0]! : undefined;
      if (defined.length === 0 || single?.[0] === 'channel' || single?.[0] === 'style') {
        const set = (s: string): string =>
          single === undefined ? `${this.prefix}s:${s}` : `${this.prefix}${single[0] === 'channel' ? 'c' : 'y'}:${s}:${String(single[1])}`;
        const sizes = await Promise.all(KNOWN_STATUSES.map((s) => this.client.zCard(set(s))));
        KNOWN_STATUSES.forEach((s, i) => (out[s] = Number(sizes[i])));
        return out;
      }
      for await (const hit of this.matching(where, undefined, true)) if (hit.fields?.status) out[hit.fields.status] = (out[hit.fields.status] ?? 0) + 1;
      return out;
    });
  }

  /**
   * Matching keys in order, read from the narrowest sorted sets; filters those sets do not imply are checked
   * against the fields kept in the hash (never the samples themselves).
   */
  private async *matching(where: SampleWhere, after: SampleCursor | undefined, withFields = false, wanted = Number.POSITIVE_INFINITY): AsyncGenerator<{ key: string; fields?: Fields }> {
    const statuses = where.status ?? KNOWN_STATUSES;
    let sources: string[];
    const implied = new Set<keyof SampleWhere>();
    if (where.channel !== undefined) {
      sources = statuses.map((s) => `${this.prefix}c:${s}:${where.channel}`);
      implied.add('channel').add('status');
    } else if (where.style !== undefined) {
      sources = statuses.map((s) => `${this.prefix}y:${s}:${where.style}`);
      implied.add('style').add('status');
    } else if (where.status !== undefined) {
      sources = statuses.map((s) => `${this.prefix}s:${s}`);
      implied.add('status');
    } else if (where.user !== undefined) {
      sources = [`${this.prefix}u:${where.user}`];
      implied.add('user');
    } else {
      sources = [`${this.prefix}all`];
    }
    const residual = (Object.keys(where) as Array<keyof SampleWhere>).filter((k) => where[k] !== undefined && !implied.has(k));
    const start = after ? `(${after.createdAt}\0${after.key}` : '-';
    const keyOf = (member: string): string => member.slice(member.indexOf('\0') + 1);
    if (residual.length === 0 && !withFields) {
      // Every member matches: read no more pages than the caller wants.
      for await (const member of mergeSorted(this.client, sources, start, Math.min(100, Math.max(1, wanted)))) yield { key: keyOf(member) };
      return;
    }
    const chunk: string[] = [];
    const flush = async function* (this: RedisSampleIndex): AsyncGenerator<{ key: string; fields?: Fields }> {
      const keys = chunk.splice(0).map(keyOf);
      if (keys.length === 0) return;
      const stored = await this.client.hmGet(this.hash, keys);
      for (const [i, key] of keys.entries()) {
        const json = stored[i];
        if (typeof json !== 'string') continue; // deleted meanwhile
        const fields = (JSON.parse(json) as { f: Fields }).f;
        if (residual.every((k) => fieldMatches(fields, k, where))) yield { key, fields };
      }
    };
    for await (const member of mergeSorted(this.client, sources, start, 100)) {
      chunk.push(member);
      if (chunk.length >= 200) yield* flush.call(this);
    }
    yield* flush.call(this);
  }
}

function fieldMatches(fields: Fields, key: keyof SampleWhere, where: SampleWhere): boolean {
  if (key === 'status') return fields.status !== undefined && where.status!.includes(fields.status);
  if (key === 'user') return fields.savedBy === where.user || fields.author === where.user;
  return fields[key] === where[key];
}

/** The members of several sorted sets (all at score 0) from `start` on, merged in lexicographic order, read in pages. */
async function* mergeSorted(client: RedisClient, sets: readonly string[], start: string, page: number): AsyncGenerator<string> {
  const readers = sets.map((key) => ({ key, from: start, buffer: [] as string[], done: false }));
  for (;;) {
    await Promise.all(
      readers.map(async (r) => {
        if (r.buffer.length > 0 || r.done) return;
        r.buffer = await client.zRange(r.key, r.from, '+', { BY: 'LEX', LIMIT: { offset: 0, count: page } });
        r.done = r.buffer.length < page;
        if (r.buffer.length > 0) r.from = `(${r.buffer[r.buffer.length - 1]}`;
      }),
    );
    let best: (typeof readers)[number] | undefined;
    for (const r of readers) if (r.buffer.length > 0 && (best === undefined || r.buffer[0]! < best.buffer[0]!)) best = r;
    if (best === undefined) return;
    yield best.buffer.shift()!;
  }
}
