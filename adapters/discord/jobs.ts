import type { AppContext } from '../../src/app.js';
import { Bot } from '../../src/bot/bot.js';
import { RestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import { DiscordActions } from './actions.js';
import { createDiscordClient } from './client.js';
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

/**
 * Discord's jobs in a process that does not hold the gateway (a jobs-only `worker`): the handlers get a
 * discord.js client that is never logged in, only given the token for REST, and a Bot posting through it.
 * Call before `queue.start()`; `close()` after `queue.close()`.
 */
export function discordJobsOnly(queue: JobQueue, ctx: Pick<AppContext, 'settings' | 'store' | 'restyler' | 'llm' | 'logger'>): { close(): Promise<void> } {
  const token = ctx.settings.discord.botToken;
  if (!token) throw new RestyleError('env_missing', 'DISCORD_BOT_TOKEN is not set: Discord jobs post through the bot token');
  const logger = ctx.logger.child({ platform: 'discord' });
  const client = createDiscordClient(ctx.settings);
  client.rest.setToken(token);
  const bot = new Bot({ ...ctx, actions: new DiscordActions(client.rest, logger, ctx.settings.safety.allowBroadcast), logger });
  discordJobs(queue, { bot, client, settings: ctx.settings, logger });
  return { close: () => client.destroy() };
}
