import { webApi } from '@slack/bolt';
import { Bot } from '../../src/bot/bot.js';
import type { PlatformJobs } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { Logger } from '../../src/log.js';
import { SlackActions } from './actions.js';
import { answerJobs } from './answer-job.js';
import type { SlackDeps } from './deps.js';
import { SlackDirectory } from './directory.js';
import { boltLogger } from './logger.js';
import { slackPoster } from './post.js';
import { postPreviewJobs } from './post-preview-job.js';
import { reactionJobs } from './reaction-job.js';
import { deletedJobs } from './deleted-job.js';
import { pressJobs } from './press-job.js';
import { commandJobs } from './command-job.js';
import { Shower } from './show.js';
import type { SlackOptions } from './app.js';
import { POST_RETRIES, webClientOptions } from './web-client.js';

/**
 * Every Slack job kind. `startSlack` calls it (a process running Slack's intake and jobs) and so does
 * `startSlackJobs` (the `jobs` role alone): a new kind is registered here, once, for both.
 */
export function slackJobs(queue: JobQueue, deps: SlackDeps): void {
  answerJobs(queue, deps);
  postPreviewJobs(queue, deps);
  reactionJobs(queue, deps);
  deletedJobs(queue, deps);
  pressJobs(queue, deps);
  commandJobs(queue, deps);
}

/** What the listeners and the jobs share, built on one Web API client. */
export function slackDeps(ctx: SlackOptions['ctx'], client: webApi.WebClient, logger: Logger, extra: { fetch: typeof fetch; now?: () => Date; newId?: () => string; queue: JobQueue | undefined; stopping?: AbortSignal }): SlackDeps {
  const actions = new SlackActions(client, logger, ctx.settings.safety.allowBroadcast);
  const bot = new Bot({ ...ctx, actions, logger, fetch: extra.fetch, now: extra.now, newId: extra.newId });
  return { bot, client, shower: new Shower(client, extra.fetch, logger), directory: new SlackDirectory(client, logger), logger, ...(extra.queue ? { queue: extra.queue } : {}), ...(extra.stopping ? { stopping: extra.stopping } : {}) };
}

/**
 * The `jobs` role: Slack's job handlers on Web API clients of their own — no Bolt App, no receiver, no port
 * (events come in through a `web` process). Job payloads carry what the intake knew (the bot's user id), so
 * no `auth.test` is needed here; a refused token fails each job with Slack's error, not the process.
 */
export function startSlackJobs(options: Omit<SlackOptions, 'http'>, queue: JobQueue): PlatformJobs {
  const { ctx } = options;
  const { botToken, apiUrl } = ctx.settings.slack;
  if (!botToken) throw new RestyleError('env_missing', 'SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the Slack app settings');
  const logger = ctx.logger.child({ platform: 'slack' });
  const fetchFn = options.fetch ?? fetch;
  const clientOptions = { ...webClientOptions(apiUrl, fetchFn, options.clientOptions), logger: boltLogger(logger) };
  const client = new webApi.WebClient(botToken, clientOptions);
  slackJobs(queue, slackDeps(ctx, client, logger, { fetch: fetchFn, now: options.now, newId: options.newId, queue }));
  // As in startSlack: `/v1/post` has a caller waiting, so fewer, shorter retries.
  const apiClient = new webApi.WebClient(botToken, { ...clientOptions, retryConfig: options.clientOptions?.retryConfig ?? POST_RETRIES });
  return {
    post: slackPoster(new SlackActions(apiClient, logger, ctx.settings.safety.allowBroadcast)),
    stop: () => Promise.resolve(),
  };
}
