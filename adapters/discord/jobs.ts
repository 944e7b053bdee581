import type { JobQueue } from '../../src/queue/types.js';
import { answerJobs, type DiscordJobDeps } from './answer-job.js';
import { deleteJobs } from './delete-job.js';
import { interactionJobs } from './interaction-job.js';
import { reactionJobs } from './reaction-job.js';

export type { DiscordJobDeps } from './answer-job.js';
export { ANSWER_JOB } from './answer-job.js';
export { DELETE_JOB } from './delete-job.js';
export { INTERACTION_JOB } from './interaction-job.js';
export { REACTION_JOB } from './reaction-job.js';

/**
 * Every Discord job handler, registered on `queue` (before `queue.start()`): mentions and DMs to answer,
 * interactions (commands, context menus, buttons, the Edit modal), reactions (⭐, 👍/👎 and their
 * removal) and deleted messages. The handlers need the client only for REST (and its cache when this
 * process holds the gateway), so a process without the gateway can run them with a client that has a
 * token set (`client.rest.setToken`) but is not logged in.
 */
export function discordJobs(queue: JobQueue, deps: DiscordJobDeps): void {
  answerJobs(queue, deps);
  interactionJobs(queue, deps);
  reactionJobs(queue, deps);
  deleteJobs(queue, deps);
}
