import type Keyv from 'keyv';
import type { Namespace } from './types.js';

/**
 * A `Namespace` over one Keyv instance. `wrap` turns backend failures into RestyleErrors that name the
 * backend; `scan` lists the namespace's raw keys (each backend lists differently).
 */
export class KeyvNamespace<T> implements Namespace<T> {
  constructor(
    private readonly keyv: Keyv<T>,
    private readonly wrap: (error: unknown) => Error,
    private readonly scan: () => AsyncIterable<string>,
  ) {}

  async get(key: string): Promise<T | undefined> {
    try {
      return (await this.keyv.get(key)) ?? undefined;
    } catch (error) {
      throw this.wrap(error);
    }
  }

  async set(key: string, value: T, ttlMs?: number): Promise<void> {
    let ok: boolean;
    try {
      ok = await this.keyv.set(key, value, ttlMs);
    } catch (error) {
      throw this.wrap(error);
    }
    // Keyv reports some failures as `false` instead of throwing; never report an unsaved value as saved.
    if (!ok) throw this.wrap(new Error('the write was not acknowledged'));
  }

  async delete(key: string): Promise<boolean> {
    try {
      return await this.keyv.delete(key);
    } catch (error) {
      throw this.wrap(error);
    }
  }

  async *entries(): AsyncIterable<[string, T]> {
    try {
      for await (const key of this.scan()) {
        // get() drops expired values, so TTL holds for listings too.
        const value = await this.keyv.get(key);
        if (value !== undefined && value !== null) yield [key, value];
      }
    } catch (error) {
      throw this.wrap(error);
    }
  }
}
