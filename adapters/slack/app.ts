import { App, webApi } from '@slack/bolt';
import type { AppContext } from '../../src/app.js';
import type { Bot } from '../../src/bot/bot.js';
import type { HttpMount, RunningPlatform } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import { createPostFetch } from '../../src/util/post-fetch.js';
import { dedupeEvents } from './dedupe.js';
import { slackError } from './errors.js';
import { registerEvents } from './events.js';
import { registerInteractivity } from './interactivity.js';
import { boltLogger } from './logger.js';
import { SlackActions } from './actions.js';
import { chooseReceiver } from './receiver.js';
import { slackPoster } from './post.js';
import { answerIntake } from './answer-job.js';
import { postPreviewIntake } from './post-preview-job.js';
import { reactionIntake } from './reaction-job.js';
import { slackDeps, slackJobs } from './jobs.js';
import { connectOrRetry } from './reconnect.js';
import { deletedIntake } from './deleted-job.js';
import { pressIntake } from './press-job.js';
import { commandIntake } from './command-job.js';
import { POST_RETRIES, webClientOptions } from './web-client.js';

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
 * platform-free use cases in src/bot. `auth.test` runs here, so a bad token fails start-up clearly; an
 * unreachable Slack API does not hold start-up (the HTTP API serves, /readyz reports Slack as down): it is
 * retried in the background until it answers.
 */
export async function startSlack(options: SlackOptions): Promise<RunningSlack> {
  const { ctx } = options;
  const { botToken, signingSecret, appToken, apiUrl } = ctx.settings.slack;
  if (!botToken) throw new RestyleError('env_missing', 'SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the Slack app settings');
  const logger = ctx.logger.child({ platform: 'slack' });
  const fetchFn = options.fetch ?? fetch;
  // With a queue, everything that changes something is recorded inside ack() and done by a job (./*-job.ts).
  let intake: ((body: unknown) => Promise<unknown>) | undefined;
  const choice = chooseReceiver({ signingSecret, appToken, apiUrl, http: options.http, limits: ctx.settings.http.slack, logger, beforeAck: ctx.queue ? (body) => intake!(body) : undefined });

  // Web API calls over node:http keep-alive: the global fetch cost more CPU than the rest of a post (src/util/post-fetch.ts).
  const clientOptions = webClientOptions(apiUrl, options.fetch ?? createPostFetch(fetchFn), options.clientOptions);
  const app = new App({ token: botToken, receiver: choice.receiver, logger: boltLogger(logger), clientOptions, deferInitialization: true });
  // One quick auth.test first: Bolt's own (in init) retries for about 30 s before giving up.
  const probe = new webApi.WebClient(botToken, { ...clientOptions, retryConfig: { retries: 0 }, timeout: 10_000, logger: boltLogger(logger) });
  const connect = async (): Promise<void> => {
    await probe.auth.test().catch((error: unknown) => Promise.reject(slackError(error, 'auth.test')));
    await app.init().catch((error: unknown) => Promise.reject(slackError(error, 'auth.test')));
    if (choice.mode === 'socket') await app.start().catch((error: unknown) => Promise.reject(slackError(error, 'apps.connections.open')));
  };

  const client = app.client;
  // POST /v1/post has a caller waiting (who can retry with its Idempotency-Key): fewer, shorter retries.
  const apiClient = new webApi.WebClient(botToken, { ...clientOptions, retryConfig: options.clientOptions?.retryConfig ?? POST_RETRIES, logger: boltLogger(logger) });
  const stopping = new AbortController();
  const deps = slackDeps(ctx, client, logger, { fetch: fetchFn, now: options.now, newId: options.newId, queue: ctx.queue, stopping: stopping.signal });
  const bot = deps.bot;
  if (ctx.queue) {
    intake = firstResponse([answerIntake(ctx.queue, deps), postPreviewIntake(ctx.queue, deps), reactionIntake(ctx.queue, deps), deletedIntake(ctx.queue, deps), pressIntake(ctx.queue, deps), commandIntake(ctx.queue, deps)]);
    slackJobs(ctx.queue, deps);
  }

  app.use(dedupeEvents(ctx.store, logger));
  registerInteractivity(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'slack: unhandled error');
  });

  let stopped = false;
  const connection = await connectOrRetry(connect, logger);
  return {
    app,
    bot,
    mode: choice.mode,
    ready: () => !stopped && connection.up && choice.connected(),
    post: slackPoster(new SlackActions(apiClient, logger, ctx.settings.safety.allowBroadcast)),
    idle: () => choice.inflight.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping.abort();
      connection.stop();
      if (choice.mode === 'socket' && connection.up) await app.stop();
      await choice.inflight.idle();
    },
  };
}

/** The intakes in turn, inside ack(): the first response one returns replaces the ack's (an Edit the queue could not take keeps its modal open). */
function firstResponse(intakes: Array<(body: unknown) => Promise<unknown>>): (body: unknown) => Promise<unknown> {
  return async (body) => {
    for (const take of intakes) {
      const response = await take(body);
      if (response !== undefined) return response;
    }
    return undefined;
  };
}
