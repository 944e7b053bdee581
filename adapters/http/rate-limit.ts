import type { IncomingMessage } from 'node:http';
import type { AppContext } from '../../src/app.js';
import { RestyleError } from '../../src/errors.js';

/**
 * The `/v1/*` rate limit (config `rateLimits.api`) per caller: the API token when the request carries the
 * right one, else the remote address. Over it: a RestyleError the server answers 429 with Retry-After.
 */
export function apiRateLimit(ctx: Pick<AppContext, 'limits'>, callerOf: (req: IncomingMessage) => string): (req: IncomingMessage) => Promise<void> {
  return async (req) => {
    const d = await ctx.limits.take('api', callerOf(req));
    if (d.ok) return;
    throw new RestyleError('rate_limited', `rate limit reached: ${d.limit.points} requests every ${d.limit.durationSeconds} s (rateLimits.api); retry after ${d.retryAfterSeconds} s`, {
      details: { status: 429, retryAfter: d.retryAfterSeconds },
    });
  };
}
