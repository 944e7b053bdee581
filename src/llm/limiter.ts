/**
 * The rate limiter shared by every caller of one endpoint (the filter's live requests and the corpus
 * builder's 30k-block runs alike).
 *
 * Hand-written rather than p-limit/bottleneck because we need three things together that those don't
 * give: requests weighted by tokens for TPM, separately from the concurrency slots; a Retry-After from one
 * 429 pausing every caller of the endpoint at once; and an injectable clock so tests never sleep.
 *
 * Model: a concurrency semaphore plus two token buckets (requests per minute, tokens per minute) that
 * refill continuously. A bucket holds at most `burstMs` worth of its minute allowance (1 s by default,
 * the granularity OpenAI enforces at), so after idling the limiter allows that small burst and then
 * exactly the configured rate: over any window of W ms at most `limit × (W + burstMs) / 60 000` go out.
 * A request heavier than a whole bucket waits for a full bucket and leaves it in debt, so the long-run
 * rate still holds. The queue is strict FIFO (a heavy request is not starved by light ones), a linked
 * list so aborting a waiter is O(1), and at most one timer is armed, for the head of the queue only.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { RestyleError } from '../errors.js';

export interface RateLimiterOptions {
  /** Requests in flight at once; 0 or Infinity = unlimited. */
  concurrency: number;
  /** Requests per minute; 0 = unlimited. */
  rpm: number;
  /** Tokens per minute (prompt + completion, estimated up front, corrected by `adjust`); 0 = unlimited. */
  tpm: number;
  /** How much of a minute's allowance may go out at once after idling (default 1000 ms). */
  burstMs?: number;
  /** Clock in ms (tests inject a fake one). */
  now?: () => number;
  /** Wait `ms`; must settle (resolve or reject) early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface LimiterStats {
  /** Requests allowed in flight at once (Infinity: unlimited). */
  concurrency: number;
  inFlight: number;
  queued: number;
  /** Remaining ms of a Retry-After pause, 0 when not paused. */
  pausedForMs: number;
}

/** Gives back the slot taken by `acquire`; calling it twice is harmless. */
export type Release = () => void;

const DEFAULT_BURST_MS = 1000;
const MINUTE_MS = 60_000;

class TokenBucket {
  private readonly capacity: number;
  private readonly perMs: number;
  private level: number;
  private last: number;

  constructor(perMinute: number, burstMs: number, now: number) {
    this.perMs = perMinute / MINUTE_MS;
    this.capacity = Math.max(1, perMinute * (burstMs / MINUTE_MS));
    this.level = this.capacity;
    this.last = now;
  }

  /** Ms until `need` (at most a full bucket) is available; 0 if it is now. */
  waitMs(need: number, now: number): number {
    this.refill(now);
    const target = Math.min(need, this.capacity);
    // The epsilon absorbs float drift, so a wait computed here is enough when it has passed.
    return this.level + 1e-9 >= target ? 0 : Math.ceil((target - this.level) / this.perMs);
  }

  take(amount: number): void {
    this.level -= amount;
  }

  give(amount: number): void {
    this.level = Math.min(this.capacity, this.level + amount);
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (now - this.last) * this.perMs);
      this.last = now;
    }
  }
}

interface Waiter {
  tokens: number;
  grant: (release: Release) => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RateLimiter {
  private readonly concurrency: number;
  private readonly rpm: TokenBucket | undefined;
  private readonly tpm: TokenBucket | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private head: Waiter | undefined;
  private tail: Waiter | undefined;
  private queued = 0;
  private inFlight = 0;
  private pausedUntil = 0;
  private wake: { at: number; controller: AbortController } | undefined;
  private pumping = false;

  constructor(options: RateLimiterOptions) {
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.concurrency = options.concurrency > 0 ? options.concurrency : Infinity;
    const burstMs = options.burstMs ?? DEFAULT_BURST_MS;
    const t = this.now();
    this.rpm = options.rpm > 0 ? new TokenBucket(options.rpm, burstMs, t) : undefined;
    this.tpm = options.tpm > 0 ? new TokenBucket(options.tpm, burstMs, t) : undefined;
  }

  /**
   * Run `fn` when a slot, a request and `estimatedTokens` are available (FIFO). Aborting `signal` while
   * queued rejects at once with `deadline_exceeded`; once `fn` runs, the signal is `fn`'s business.
   *
   * @example
   * const reply = await limiter.schedule(estimateTokens(prompt), () => sdk.chat.completions.create(body), signal);
   */
  async schedule<T>(estimatedTokens: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(estimatedTokens, signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** The primitive under `schedule`, for work that outlives one promise (a stream being read). */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortedWhileQueued(signal, this.pausedUntil > this.now()));
    return new Promise<Release>((resolve, reject) => {
      const w: Waiter = {
        tokens: Number.isFinite(estimatedTokens) && estimatedTokens > 0 ? estimatedTokens : 0,
        grant: resolve,
        prev: undefined,
        next: undefined,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        w.onAbort = () => {
          this.unlink(w);
          reject(abortedWhileQueued(signal, this.pausedUntil > this.now()));
          // The aborted waiter may have been the head holding everyone else back.
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.push(w);
      this.pump();
    });
  }

  /** Correct the TPM bucket once the real usage is known: refunds an overestimate, charges an underestimate. */
  adjust(estimatedTokens: number, actualTokens: number): void {
    if (!this.tpm || !Number.isFinite(actualTokens)) return;
    const diff = estimatedTokens - actualTokens;
    if (diff > 0) {
      this.tpm.give(diff);
      this.pump();
    } else if (diff < 0) {
      this.tpm.take(-diff);
    }
  }

  /** A 429 with Retry-After: hold every queued and future caller for `ms` (requests in flight carry on). */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.pump();
  }

  get stats(): LimiterStats {
    return { concurrency: this.concurrency, inFlight: this.inFlight, queued: this.queued, pausedForMs: Math.max(0, this.pausedUntil - this.now()) };
  }

  /** Start every waiter that may start now, then arm one timer for the head if it must wait. */
  private pump(): void {
    // A granted caller may call acquire() synchronously; the running loop will pick that up.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.head && this.inFlight < this.concurrency) {
        const w = this.head;
        const t = this.now();
        const wait = Math.max(this.pausedUntil - t, this.rpm?.waitMs(1, t) ?? 0, this.tpm?.waitMs(w.tokens, t) ?? 0);
        if (wait > 0) {
          this.armWake(t + wait);
          return;
        }
        this.unlink(w);
        this.rpm?.take(1);
        this.tpm?.take(w.tokens);
        this.inFlight++;
        let released = false;
        w.grant(() => {
          if (released) return;
          released = true;
          this.inFlight--;
          this.pump();
        });
      }
      if (!this.head) this.disarmWake();
    } finally {
      this.pumping = false;
    }
  }

  private armWake(at: number): void {
    if (this.wake && this.wake.at <= at) return;
    this.disarmWake();
    const wake = { at, controller: new AbortController() };
    this.wake = wake;
    this.sleep(Math.max(1, Math.ceil(at - this.now())), wake.controller.signal).then(
      () => {
        if (this.wake !== wake) return;
        this.wake = undefined;
        this.pump();
      },
      () => {
        // Disarmed: a newer wake (or an empty queue) replaced this one.
      },
    );
  }

  /** Cancel the pending timer so an idle limiter holds no timer (and never keeps the process alive). */
  private disarmWake(): void {
    this.wake?.controller.abort();
    this.wake = undefined;
  }

  private push(w: Waiter): void {
    w.prev = this.tail;
    if (this.tail) this.tail.next = w;
    else this.head = w;
    this.tail = w;
    this.queued++;
  }

  private unlink(w: Waiter): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.onAbort = undefined;
    if (w.prev) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = undefined;
    this.queued--;
  }
}

function abortedWhileQueued(signal: AbortSignal, pausedFor429: boolean): RestyleError {
  if (pausedFor429) {
    // Another request's 429 paused the endpoint: that is why this one never started.
    return new RestyleError('deadline_exceeded', "aborted while the endpoint was paused for a 429's Retry-After", {
      cause: signal.reason,
      details: { lastError: { code: 'llm_rate_limited', message: 'the endpoint answered 429 (rate limited) and asked to wait' } },
    });
  }
  return new RestyleError('deadline_exceeded', 'aborted while waiting for a rate-limit slot', { cause: signal.reason });
}
