import { App, webApi } from '@slack/bolt';
import type { AppContext } from '../../src/app.js';
import { Bot } from '../../src/bot/bot.js';
import type { HttpMount, RunningPlatform } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import { dedupeEvents } from './dedupe.js';
import type { SlackDeps } from './deps.js';
import { SlackDirectory } from './directory.js';
import { slackError } from './errors.js';
import { registerEvents } from './events.js';
import { registerInteractivity } from './interactivity.js';
import { boltLogger } from './logger.js';
import { SlackActions } from './actions.js';
import { chooseReceiver } from './receiver.js';
import { Shower } from './show.js';
import { slackPoster } from './post.js';
import { answerIntake, answerJobs } from './answer-job.js';

/**
 * Slack's client defaults are no request timeout and 10 retries over about 30 minutes: a hung call would
 * hold an answer (and shutdown) for that long. The bot's own posts get a bounded minute; each call 30 s.
 */
const WEB_API_TIMEOUT_MS = 30_000;
const BOT_RETRIES = { retries: 5, factor: 2, minTimeout: 1_000, maxTimeout: 10_000, randomize: true };
const POST_RETRIES = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000, randomize: true };

export interface SlackOptions {
  ctx: Pick<AppContext, 'settings' | 'store' | 'restyler' | 'llm' | 'logger' | 'queue'>;
  /** The shared HTTP server (HTTP mode mounts `POST /slack/events` on it). */
  http?: HttpMount;
  /** For response_url and the webhook answer source (tests inject theirs). */
  fetch?: typeof fetch;
  /** Extra Web API client options (tests: `retryConfig: {retries: 0}`). */
  clientOptions?: Partial<webApi.WebClientOptions>;
  now?: () => Date;
  newId?: () => string;
}

export interface RunningSlack extends RunningPlatform {
  readonly app: App;
  post: NonNullable<RunningPlatform['post']>;
  readonly bot: Bot;
  readonly mode: 'http' | 'socket';
  /** Resolves once every event received so far has been handled (tests, graceful stop). */
  idle(): Promise<void>;
}

/**
 * The Slack app: Bolt with our receiver choice, the event dedupe, and every listener wired to the
 * platform-free use cases in src/bot. `auth.test` runs here, so a bad token fails start-up clearly.
 */
export async function startSlack(options: SlackOptions): Promise<RunningSlack> {
  const { ctx } = options;
  const { botToken, signingSecret, appToken, apiUrl } = ctx.settings.slack;
  if (!botToken) throw new RestyleError('env_missing', 'SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the Slack app settings');
  const logger = ctx.logger.child({ platform: 'slack' });
  const fetchFn = options.fetch ?? fetch;
  // With a queue, mentions and DMs are recorded inside ack() and answered by a job (./answer-job.ts).
  let intake: ((body: unknown) => Promise<void>) | undefined;
  const choice = chooseReceiver({ signingSecret, appToken, apiUrl, http: options.http, logger, beforeAck: ctx.queue ? (body) => intake!(body) : undefined });

  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: apiUrl,
    timeout: WEB_API_TIMEOUT_MS,
    retryConfig: BOT_RETRIES,
    ...options.clientOptions,
    fetch: options.clientOptions?.fetch ?? fetchFn,
  };
  const app = new App({ token: botToken, receiver: choice.receiver, logger: boltLogger(logger), clientOptions, deferInitialization: true });
  try {
    await app.init();
  } catch (error) {
    throw slackError(error, 'auth.test');
  }

  const client = app.client;
  const actions = new SlackActions(client, logger);
  // POST /v1/post has a caller waiting (who can retry with its Idempotency-Key): fewer, shorter retries.
  const apiClient = new webApi.WebClient(botToken, { ...clientOptions, retryConfig: options.clientOptions?.retryConfig ?? POST_RETRIES, logger: boltLogger(logger) });
  const bot = new Bot({ ...ctx, actions, logger, fetch: fetchFn, now: options.now, newId: options.newId });
  const deps: SlackDeps = { bot, client, shower: new Shower(client, fetchFn, logger), directory: new SlackDirectory(client, logger), logger, queued: Boolean(ctx.queue) };
  if (ctx.queue) {
    intake = answerIntake(ctx.queue, deps);
    answerJobs(ctx.queue, deps);
  }

  app.use(dedupeEvents(ctx.store, logger));
  registerInteractivity(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'slack: unhandled error');
  });

  if (choice.mode === 'socket') {
    try {
      await app.start();
    } catch (error) {
      throw slackError(error, 'apps.connections.open');
    }
  }
  let stopped = false;
  return {
    app,
    bot,
    mode: choice.mode,
    ready: () => !stopped && choice.connected(),
    post: slackPoster(new SlackActions(apiClient, logger)),
    idle: () => choice.inflight.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (choice.mode === 'socket') await app.stop();
      await choice.inflight.idle();
    },
  };
}
