import * as z from 'zod';
import { messageDeleted } from '../../src/bot/save-sample.js';
import { toRestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { Place } from '../../src/bot/types.js';
import type { DiscordJobDeps } from './answer-job.js';
import type { DiscordDeps } from './deps.js';
import { placePayload } from './job-payload.js';

export const DELETE_JOB = 'discord.delete';

const deletePayload = z.object({ place: placePayload, messageId: z.string().min(1) });
type DeletePayload = z.infer<typeof deletePayload>;

/**
 * Record before handling: a deleted message's samples must go (people delete to take back what they
 * said). A message is deleted once, so its id is the job id. Nobody is waiting to be told; a queue that
 * cannot be written is logged.
 */
export async function deleteIntake(queue: JobQueue, deps: Pick<DiscordDeps, 'logger'>, place: Place, messageId: string): Promise<void> {
  try {
    await queue.enqueue({ kind: DELETE_JOB, id: `${DELETE_JOB}:${place.channelId}:${messageId}`, payload: { place, messageId } });
  } catch (error) {
    deps.logger.error({ err: toRestyleError(error).message, channel: place.key, message: messageId }, 'discord: could not queue a deleted message; its samples (if any) stay');
  }
}

/** The worker side: the samples and reply origin of the message go; a store failure is retried. */
export function deleteJobs(queue: JobQueue, deps: DiscordJobDeps): void {
  queue.handle<DeletePayload>(DELETE_JOB, {
    parse: (payload) => deletePayload.parse(payload),
    async run(p) {
      await messageDeleted(deps.bot.ctx, p);
    },
  });
}
