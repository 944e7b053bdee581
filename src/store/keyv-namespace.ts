import type Keyv from 'keyv';
import { RestyleError } from '../errors.js';
import type { Namespace } from './types.js';

/** How a backend runs one operation of its namespaces. */
export interface Backend {
  /**
   * Runs `op`: refuses once the store is closed (so a closed store never reconnects behind our back),
   * bounds it in time where the backend needs that, and turns any failure into a RestyleError naming the
   * backend (REDIS_URL or the SQLite path).
   */
  run<R>(op: () => Promise<R>): Promise<R>;
}

/** The namespace's raw entries: key without prefix, serialized value (undefined if it vanished meanwhile). */
export type RawEntries = () => AsyncIterable<[key: string, raw: string | undefined]>;

/** Writes that must do more than Keyv's own (the Redis samples index): given the value as Keyv serializes it. */
export interface RawWriter {
  set(key: string, raw: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/**
 * A `Namespace` over one Keyv instance. Keyv does (de)serialization and TTL bookkeeping; this adds the
 * guarantees `Store` promises: every failure rejects with a RestyleError, and a write never resolves unless
 * the backend acknowledged it.
 */
export class KeyvNamespace<T> implements Namespace<T> {
  constructor(
    private readonly keyv: Keyv,
    private readonly backend: Backend,
    private readonly rawEntries: RawEntries,
    /** The key handed to Keyv (SQLite prefixes here; KeyvRedis prefixes itself). */
    private readonly keyOf: (key: string) => string = (key) => key,
    /** Replaces Keyv's set and delete; Keyv still serializes, reads and decodes. */
    private readonly writer?: RawWriter,
  ) {}

  get(key: string): Promise<T | undefined> {
    return this.backend.run(async () => ((await this.keyv.get<T>(this.keyOf(key))) ?? undefined) as T | undefined);
  }

  getMany(keys: readonly string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.backend.run(async () => {
      const out: Array<T | undefined> = [];
      // In chunks: KeyvSqlite matches rows to keys with a linear search per key.
      for (let i = 0; i < keys.length; i += 256) {
        const values = (await this.keyv.get<T>(keys.slice(i, i + 256).map(this.keyOf))) as Array<T | undefined | null>;
        for (const v of values) out.push(v ?? undefined);
      }
      return out;
    });
  }

  set(key: string, value: T, ttlMs?: number): Promise<void> {
    return this.backend.run(async () => {
      // Keyv reads 0 as "forever" and Redis rejects fractional PX: never let a computed TTL mean something else.
      const ttl = ttlMs === undefined ? undefined : validTtl(ttlMs);
      if (this.writer) {
        const raw = await this.keyv.serializeData({ value, expires: ttl === undefined ? undefined : Date.now() + ttl });
        if (typeof raw !== 'string') throw new TypeError('the value did not serialize to a string');
        return this.writer.set(this.keyOf(key), raw, ttl);
      }
      if (!(await this.keyv.set(this.keyOf(key), value, ttl))) throw new Error('the write was not acknowledged');
    });
  }

  delete(key: string): Promise<boolean> {
    return this.backend.run(() => (this.writer ? this.writer.delete(this.keyOf(key)) : this.keyv.delete(this.keyOf(key))));
  }

  async *entries(): AsyncIterable<[string, T]> {
    const raw = this.rawEntries()[Symbol.asyncIterator]();
    try {
      for (;;) {
        // Each step on its own, so every page read is bounded and mapped like any other call.
        const entry = await this.backend.run(async () => {
          for (;;) {
            const step = await raw.next();
            if (step.done) return null;
            const decoded = await this.decode(step.value[1]);
            if (decoded !== undefined) return [step.value[0], decoded] as [string, T];
          }
        });
        if (entry === null) return;
        yield entry;
      }
    } finally {
      raw.return?.().catch(() => {}); // not awaited: a step that timed out may still be pending
    }
  }

  /** The live value of a raw entry, or undefined. Not Keyv's iterator: that one throws a TypeError on a key
   * that expires between the listing and the read. */
  private async decode(raw: string | undefined): Promise<T | undefined> {
    if (raw === undefined) return undefined;
    const data = await this.keyv.deserializeData<T>(raw);
    if (data === undefined || data.value === undefined || data.value === null) return undefined;
    if (typeof data.expires === 'number' && Date.now() > data.expires) return undefined;
    return data.value;
  }
}

/** A TTL as the backends need it: a positive whole number of milliseconds. */
export function validTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RestyleError('store_error', `TTL must be a positive number of milliseconds, got ${ttlMs}`);
  }
  return Math.ceil(ttlMs);
}
