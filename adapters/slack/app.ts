import { App, webApi } from '@slack/bolt';
import type { AppContext } from '../../src/app.js';
import type { Bot } from '../../src/bot/bot.js';
import type { HttpMount, RunningPlatform } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
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
import { POST_RETRIES, webClientOptions } from './web-client.js';

/** While the Slack API is unreachable at start: try again after 1 s, doubling to every 30 s. */
const RECONNECT_MS = { first: 1_000, max: 30_000 };

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
  // With a queue, mentions, DMs, Post presses and ⭐ are recorded inside ack() and done by a job (./answer-job.ts, ./post-preview-job.ts, ./reaction-job.ts).
  let intake: ((body: unknown) => Promise<void>) | undefined;
  const choice = chooseReceiver({ signingSecret, appToken, apiUrl, http: options.http, limits: ctx.settings.http.slack, logger, beforeAck: ctx.queue ? (body) => intake!(body) : undefined });

  const clientOptions = webClientOptions(apiUrl, fetchFn, options.clientOptions);
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
  const deps = slackDeps(ctx, client, logger, { fetch: fetchFn, now: options.now, newId: options.newId, queued: Boolean(ctx.queue) });
  const bot = deps.bot;
  if (ctx.queue) {
    const intakes = [answerIntake(ctx.queue, deps), postPreviewIntake(ctx.queue, deps), reactionIntake(ctx.queue, deps)];
    intake = async (body) => {
      for (const take of intakes) await take(body);
    };
    slackJobs(ctx.queue, deps);
  }

  app.use(dedupeEvents(ctx.store, logger));
  registerInteractivity(app, deps);
  registerEvents(app, deps);
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, 'slack: unhandled error');
  });

  let stopped = false;
  let up = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const retry = (delayMs: number): void => {
    timer = setTimeout(() => {
      if (stopped) return;
      connect().then(
        () => {
          up = true;
          logger.info('slack: the Slack API answers again; Slack is up');
        },
        (error: unknown) => {
          logger.warn({ err: slackError(error, 'auth.test').message }, `slack: still unreachable; retrying in ${Math.round(Math.min(delayMs * 2, RECONNECT_MS.max) / 1000)} s`);
          retry(Math.min(delayMs * 2, RECONNECT_MS.max));
        },
      );
    }, delayMs);
    timer.unref();
  };
  try {
    await connect();
    up = true;
  } catch (error) {
    const e = slackError(error, 'auth.test');
    // A refused token (or scope) is the operator's to fix: fail start-up. A network or 5xx failure is Slack's.
    if (!e.retryable) throw e;
    logger.warn({ err: e.message }, 'slack: the Slack API is unreachable; serving without Slack (readyz: down) and retrying');
    retry(RECONNECT_MS.first);
  }
  return {
    app,
    bot,
    mode: choice.mode,
    ready: () => !stopped && up && choice.connected(),
    post: slackPoster(new SlackActions(apiClient, logger, ctx.settings.safety.allowBroadcast)),
    idle: () => choice.inflight.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      if (choice.mode === 'socket' && up) await app.stop();
      await choice.inflight.idle();
    },
  };
}
