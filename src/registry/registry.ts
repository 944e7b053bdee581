import { RestyleError } from '../errors.js';
import type { Namespace, Store } from '../store/types.js';
import type { ModelEntry, ModelRole, NewEntry, RegistryRecord } from './types.js';

/** Checks a model is really served before anything is written (nothing half-registers). */
export type VerifyModel = (entry: Pick<ModelEntry, 'model' | 'baseUrl' | 'apiKeyEnv'>) => Promise<void>;

const LOCK_TTL_MS = 15_000;

export function registryKey(style: string, role: ModelRole): string {
  return `${style}:${role}`;
}

/**
 * The model registry: every model trained or registered for a style, which one is in use, and the order
 * they were used in (for rollback). One record per style and role, written whole, so each change is one
 * store write and a reader never sees half of one.
 *
 * @example
 * const registry = new ModelRegistry(store, verify);
 * await registry.add({ style: 'pirate', role: 'styler', model: 'ft:…', baseUrl, apiKeyEnv, promptHash, … }, { use: true });
 * await registry.rollback('pirate', 'styler');
 */
export class ModelRegistry {
  private readonly ns: Namespace<RegistryRecord>;

  constructor(
    private readonly store: Store,
    private readonly verify: VerifyModel,
  ) {
    this.ns = store.ns<RegistryRecord>('models');
  }

  /**
   * Read-modify-write of one record under a store claim, so two processes (a watcher registering its job,
   * someone running `models use`) can't overwrite each other's change. The claim expires on its own if its
   * holder dies.
   */
  private async locked<T>(style: string, role: ModelRole, fn: (record: RegistryRecord) => Promise<{ value: T; write: boolean }>): Promise<T> {
    const lock = `lock:models:${registryKey(style, role)}`;
    for (let attempt = 0; !(await this.store.claim(lock, LOCK_TTL_MS)); attempt++) {
      if (attempt >= 40) throw new RestyleError('conflict', `${style} ${role}: the model registry is busy (another restyle is changing it); try again`, { details: { style, role } });
      await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** attempt, 250)));
    }
    try {
      const record = await this.get(style, role);
      const { value, write } = await fn(record);
      if (write) await this.ns.set(registryKey(style, role), record);
      return value;
    } finally {
      await this.store.release(lock).catch(() => undefined);
    }
  }

  async get(style: string, role: ModelRole): Promise<RegistryRecord> {
    return (await this.ns.get(registryKey(style, role))) ?? { style, role, entries: [], active: null, history: [] };
  }

  /** Every record, sorted by style then role. */
  async list(style?: string): Promise<RegistryRecord[]> {
    const out: RegistryRecord[] = [];
    for await (const [, record] of this.ns.entries()) {
      // Anything else under the namespace (a hand-written key, another tool's value) is not a record: skip it.
      if (typeof record?.style !== 'string' || typeof record.role !== 'string' || !Array.isArray(record.entries)) continue;
      if (!style || record.style === style) out.push(record);
    }
    return out.sort((a, b) => (a.style === b.style ? a.role.localeCompare(b.role) : a.style.localeCompare(b.style)));
  }

  async active(style: string, role: ModelRole): Promise<ModelEntry | null> {
    const record = await this.get(style, role);
    return record.active === null ? null : (record.entries.find((e) => e.id === record.active) ?? null);
  }

  /**
   * Register a model after checking it is served. The same model at the same endpoint is not added twice
   * (a re-run job, a repeated command): the existing entry is returned. `use` makes it the active one.
   */
  async add(input: NewEntry, options: { use?: boolean; now?: Date } = {}): Promise<{ entry: ModelEntry; added: boolean; activated: boolean }> {
    try {
      await this.verify(input);
    } catch (error) {
      if (error instanceof RestyleError) throw new RestyleError(error.code, `${error.message}; nothing was registered`, { cause: error, details: error.details });
      throw error;
    }
    return this.locked(input.style, input.role, async (record) => {
      let entry = record.entries.find((e) => e.model === input.model && e.baseUrl === input.baseUrl);
      const added = !entry;
      if (!entry) {
        entry = { ...input, id: (record.entries.at(-1)?.id ?? 0) + 1, createdAt: (options.now ?? new Date()).toISOString() };
        record.entries.push(entry);
      }
      const activated = Boolean(options.use) && record.active !== entry.id;
      if (activated) {
        record.history.push(record.active);
        record.active = entry.id;
      }
      return { value: { entry, added, activated }, write: added || activated };
    });
  }

  /** Make an entry (`#3`, `3`, `v3` or a model id) the one in use; re-checks it is still served first. */
  async use(style: string, role: ModelRole, ref: string): Promise<ModelEntry> {
    await this.verify(findEntry(await this.get(style, role), ref));
    return this.locked(style, role, async (record) => {
      const entry = findEntry(record, ref);
      const write = record.active !== entry.id;
      if (write) {
        record.history.push(record.active);
        record.active = entry.id;
      }
      return { value: entry, write };
    });
  }

  /** Go back to the model in use before the current one (null: back to the config's model). */
  async rollback(style: string, role: ModelRole): Promise<{ from: ModelEntry | null; to: ModelEntry | null }> {
    const peek = await this.get(style, role);
    const target = peek.history.at(-1);
    if (target !== undefined && target !== null) {
      const entry = peek.entries.find((e) => e.id === target);
      if (entry) await this.verify(entry);
    }
    return this.locked(style, role, async (record) => {
      if (record.history.length === 0) {
        throw new RestyleError('conflict', `${style} ${role}: nothing to roll back to (${record.entries.length ? 'no earlier model was in use' : 'no models registered'})`, {
          details: { style, role },
        });
      }
      const from = record.active === null ? null : (record.entries.find((e) => e.id === record.active) ?? null);
      const previous = record.history.pop()!;
      const to = previous === null ? null : (record.entries.find((e) => e.id === previous) ?? null);
      record.active = previous;
      return { value: { from, to }, write: true };
    });
  }
}

function findEntry(record: RegistryRecord, ref: string): ModelEntry {
  // `#2`, `2` or `v2`: in a shell `#2` unquoted is a comment, so the bare forms must work too.
  const n = /^[#v]?(\d+)$/i.exec(ref.trim());
  const entry = n ? record.entries.find((e) => e.id === Number(n[1])) : record.entries.findLast((e) => e.model === ref);
  if (entry) return entry;
  const known = record.entries.map((e) => `#${e.id} ${e.model}`);
  throw new RestyleError('usage', `${record.style} ${record.role}: no registered model "${ref}"${known.length ? `; registered: ${known.join(', ')}` : '; none registered yet (restyle models add)'}`, {
    details: { style: record.style, role: record.role, ref },
  });
}
