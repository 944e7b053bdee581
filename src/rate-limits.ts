import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSettings } from './config/schema.js';
import type { Store } from './store/types.js';

export type RateLimitKind = keyof RateLimitSettings;

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number; limit: { points: number; durationSeconds: number } };

/**
 * Per-caller rate limits (rate-limiter-flexible): `/v1/*` per API token or address, `/restyle` and
 * automatic replies per user. Counted in Redis when the store is Redis, so replicas share them (with an
 * in-memory limiter as insurance while Redis is down); in memory otherwise.
 *
 * @example
 * const d = await limits.take('restyle', actor.key);
 * if (!d.ok) return note(`Try again in ${d.retryAfterSeconds} s.`);
 */
export class RateLimits {
  private readonly limiters = new Map<RateLimitKind, RateLimiterAbstract>();

  constructor(
    private readonly settings: RateLimitSettings,
    store: Pick<Store, 'kind' | 'redisClient'>,
    private readonly onLimited: (kind: RateLimitKind) => void = () => {},
  ) {
    for (const kind of Object.keys(settings) as RateLimitKind[]) {
      const { points, durationSeconds } = settings[kind];
      if (points === 0) continue;
      const opts = { points, duration: durationSeconds, keyPrefix: `restyle:rate:${kind}` };
      const memory = new RateLimiterMemory(opts);
      this.limiters.set(kind, store.redisClient ? new RateLimiterRedis({ ...opts, storeClient: store.redisClient, useRedisPackage: true, insuranceLimiter: memory }) : memory);
    }
  }

  /** Count one request of `kind` by `caller`; refused when the caller has used up the window. */
  async take(kind: RateLimitKind, caller: string): Promise<RateDecision> {
    const limiter = this.limiters.get(kind);
    if (!limiter) return { ok: true };
    try {
      await limiter.consume(caller);
      return { ok: true };
    } catch (rejection) {
      // Anything but a RateLimiterRes is the store failing with no insurance left: never block on that.
      if (!(rejection instanceof RateLimiterRes)) return { ok: true };
      this.onLimited(kind);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), limit: this.settings[kind] };
    }
  }
}
