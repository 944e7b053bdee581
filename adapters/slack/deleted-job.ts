import * as z from 'zod';
import type { JobQueue } from '../../src/queue/types.js';
import { RestyleError, toRestyleError } from '../../src/errors.js';
import { slackPlace } from './convert.js';
import type { SlackDeps } from './deps.js';

export const DELETED_JOB = 'slack.message-deleted';

const deletedPayload = z.object({ channel: z.string().min(1), deleted_ts: z.string().min(1) });
type DeletedPayload = z.infer<typeof deletedPayload>;

/** The job for a `message_deleted` event (its samples go too), or null for any other request. */
export function deletedJobFor(body: unknown): { id: string; payload: DeletedPayload } | null {
  const b = body as { type?: unknown; event_id?: unknown; event?: Record<string, unknown> } | null;
  const e = b?.type === 'event_callback' ? b.event : undefined;
  if (e?.type !== 'message' || e.subtype !== 'message_deleted' || typeof e.channel !== 'string' || e.channel === '' || typeof e.deleted_ts !== 'string' || e.deleted_ts === '') return null;
  // Slack's retries carry the same event_id: the same job.
  const event = typeof b?.event_id === 'string' ? b.event_id : `${e.channel}:${e.deleted_ts}`;
  return { id: `${DELETED_JOB}:${event}`, payload: { channel: e.channel, deleted_ts: e.deleted_ts } };
}

/**
 * Record before acknowledging. Nobody waits for an answer to a deletion, so when the queue cannot be
 * written the ack fails (HTTP 503): Slack sends the event again later, rather than the samples of a deleted
 * message staying for good.
 */
export function deletedIntake(queue: JobQueue, deps: Pick<SlackDeps, 'logger'>): (body: unknown) => Promise<void> {
  return async (body) => {
    const job = deletedJobFor(body);
    if (!job) return;
    try {
      await queue.enqueue({ kind: DELETED_JOB, ...job });
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message, channel: job.payload.channel }, 'slack: could not queue a deleted message; not acknowledging it, so Slack sends it again');
      throw new RestyleError('store_unavailable', `could not record the deleted message (the work queue is unavailable: ${toRestyleError(error).message}); send it again later`, { cause: error, retryable: true });
    }
  };
}

/** The worker side: delete the message's samples and reply origin (deleting twice deletes nothing more). */
export function deletedJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<DeletedPayload>(DELETED_JOB, {
    parse: (payload) => deletedPayload.parse(payload),
    async run(p) {
      const deleted = await deps.bot.deleteSamplesOf({ place: slackPlace(p.channel), messageId: p.deleted_ts });
      if (deleted > 0) deps.logger.info({ channel: p.channel, deleted }, 'slack: samples of a deleted message deleted');
    },
  });
}
