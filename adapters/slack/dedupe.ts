import type { Middleware, AnyMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import type { Store } from '../../src/store/types.js';

/** Slack retries for up to ~1 hour (3 retries); event ids are kept a little longer than that. */
export const EVENT_CLAIM_TTL_MS = 2 * 3600 * 1000;

/**
 * Slack redelivers an event (same `event_id`, `X-Slack-Retry-Num` set) when it thinks the first delivery
 * failed, and every replica of the bot may receive it. The first to claim the id in the store handles
 * it; the rest drop it. If the store is down the event is handled (a rare duplicate beats a lost event).
 */
export function dedupeEvents(store: Store, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async ({ body, context, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      const first = await store.claim(`slack:event:${eventId}`, EVENT_CLAIM_TTL_MS).catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'slack: event dedupe unavailable; handling the event');
        return true;
      });
      if (!first) {
        logger.debug({ eventId, retryNum: context.retryNum, retryReason: context.retryReason }, 'slack: duplicate event dropped');
        return;
      }
    }
    await next();
  };
}
