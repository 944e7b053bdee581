import type { IncomingMessage } from 'node:http';
import { RestyleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Namespace, Store } from '../../src/store/types.js';
import { sha256 } from '../../src/util/hash.js';

/** What a key's first request answered, or that it is still running. */
interface Entry {
  /** sha256 of the route and the canonical body: the same key with another body is refused. */
  fingerprint: string;
  state: 'running' | 'done';
  status?: number;
  body?: unknown;
  at: string;
}

/** What a run answers: an HTTP status and its JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

export interface IdempotentResponse {
  status: number;
  body: unknown;
  /** True when this is the stored answer of an earlier request (header `Idempotent-Replayed: true`). */
  replayed: boolean;
}

export interface IdempotencyOptions {
  /** Keeps the keys of different routes apart (`/v1/post`). */
  scope: string;
  /** How long a finished request's answer is replayed (24 h). */
  resultTtlMs?: number;
  /**
   * How long a running request holds its key. Longer than any request can take (the platform clients retry
   * for a while), so a slow first request is never run twice; also how long a request whose process died
   * leaves its key "in progress".
   */
  lockTtlMs?: number;
  logger?: Logger;
  /** Counts answers given without running (metrics). */
  onShortcut?(result: 'replayed' | 'in_progress' | 'mismatch'): void;
}

export const RESULT_TTL_MS = 24 * 3600 * 1000;
export const LOCK_TTL_MS = 40 * 60 * 1000;
const HEADER = 'idempotency-key';

/** The request's Idempotency-Key, or undefined; a malformed one is a 400 naming the header. */
export function idempotencyKey(req: IncomingMessage): string | undefined {
  const raw = req.headers[HEADER];
  if (raw === undefined) return undefined;
  const key = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (!/^[\x20-\x7e]{1,255}$/.test(key)) {
    throw new RestyleError('input_invalid', 'Idempotency-Key: 1 to 255 printable ASCII characters (a UUID is a good key)', { details: { status: 400, field: 'Idempotency-Key' } });
  }
  return key;
}

/**
 * Stripe-style idempotent requests over the store: the first request with a key runs; its 2xx answer is kept
 * 24 h and replayed to every later request with that key, which then runs nothing. While it runs, the same
 * key gets 409 `idempotency_in_progress`; with a different body, 422 `idempotency_mismatch`. A failed run
 * keeps nothing and gives the key back, so a retry runs again.
 *
 * Exactly one runner per key across processes and restarts: the store's atomic claim (Redis SET NX PX,
 * SQLite unique insert) decides, and the answer lives in the store's `idempotency` namespace.
 */
export class Idempotency {
  private readonly ns: Namespace<Entry>;
  private readonly resultTtlMs: number;
  private readonly lockTtlMs: number;

  constructor(
    private readonly store: Store,
    private readonly options: IdempotencyOptions,
  ) {
    this.ns = store.ns<Entry>('idempotency');
    this.resultTtlMs = options.resultTtlMs ?? RESULT_TTL_MS;
    this.lockTtlMs = options.lockTtlMs ?? LOCK_TTL_MS;
  }

  /** Fingerprint of a request body: key order does not matter. */
  fingerprint(body: unknown): string {
    return sha256(this.options.scope, canonical(body));
  }

  /** Runs `fn` once per key (see the class). */
  async run(key: string, fingerprint: string, fn: () => Promise<Answer>): Promise<IdempotentResponse> {
    const id = `${this.options.scope}:${sha256(key)}`;
    const claim = `idempotency:${id}`;
    // The claim and the read at once (one round trip, not two, before a new key runs). The claim decides
    // who runs; an answer already kept answers whoever holds it (a claim taken for it just runs out).
    const [claimed, known] = await Promise.allSettled([this.store.claim(claim, this.lockTtlMs), this.ns.get(id)]);
    if (claimed.status === 'rejected' || known.status === 'rejected') {
      // Only the claim is given back: an answer kept under the key (unread) stays.
      if (claimed.status === 'fulfilled' && claimed.value) await this.store.release(claim).catch(() => {});
      throw claimed.status === 'rejected' ? claimed.reason : (known as PromiseRejectedResult).reason;
    }
    if (known.value?.state === 'done' || (!claimed.value && known.value)) return this.answer(known.value, fingerprint);
    if (!claimed.value) {
      // Another request holds the key: it is running, or it finished between the read and the claim.
      const now = await this.ns.get(id);
      if (now) return this.answer(now, fingerprint);
      this.options.onShortcut?.('in_progress');
      throw inProgress();
    }
    try {
      // Ours now. Visible to concurrent requests, so one with another body hears 422 rather than 409.
      await this.ns.set(id, { fingerprint, state: 'running', at: new Date().toISOString() }, this.lockTtlMs);
    } catch (error) {
      await this.giveBack(id, claim);
      throw error;
    }

    let result: Answer;
    try {
      result = await fn();
    } catch (error) {
      await this.giveBack(id, claim);
      throw error;
    }
    // 202 (accepted, still being done) is not the request's answer: the key is given back, so the next request
    // with it waits for the same work again and hears how it ended, instead of the 202 for 24 h.
    if (result.status === 202) {
      await this.giveBack(id, claim);
      return { ...result, replayed: false };
    }
    // The answer goes out while the key keeps it. The write is queued first and lands within this turn of the
    // event loop (SQLite at once; node-redis writes its queue at setImmediate), so before a request the caller
    // sends after reading the answer can read the key. Should it fail, the claim keeps retries from running it
    // again (409) for lockTtlMs; it ran, and the caller has its answer.
    this.ns.set(id, { fingerprint, state: 'done', status: result.status, body: result.body, at: new Date().toISOString() }, this.resultTtlMs).catch((error: unknown) => {
      this.options.logger?.warn({ err: (error as Error).message, scope: this.options.scope }, 'idempotency: could not store the answer; retries with this key get 409 until the lock expires');
    });
    return { ...result, replayed: false };
  }

  private answer(entry: Entry, fingerprint: string): IdempotentResponse {
    if (entry.fingerprint !== fingerprint) {
      this.options.onShortcut?.('mismatch');
      throw new RestyleError('idempotency_mismatch', 'Idempotency-Key: this key was used with a different request body; use a new key for a new request', {
        details: { status: 422 },
      });
    }
    if (entry.state !== 'done' || entry.status === undefined) {
      this.options.onShortcut?.('in_progress');
      throw inProgress();
    }
    this.options.onShortcut?.('replayed');
    return { status: entry.status, body: entry.body, replayed: true };
  }

  private async giveBack(id: string, claim: string): Promise<void> {
    try {
      await this.ns.delete(id);
      await this.store.release(claim);
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message, scope: this.options.scope }, 'idempotency: could not release the key; a retry with it gets 409 until the lock expires');
    }
  }
}

function inProgress(): RestyleError {
  return new RestyleError('idempotency_in_progress', 'Idempotency-Key: a request with this key is still running; retry after it finishes to get its answer', {
    details: { status: 409 },
    retryable: true,
  });
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
