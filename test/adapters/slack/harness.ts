/**
 * Drives the real Slack adapter (Bolt on restyle's shared HTTP server) through signed requests, against
 * the fake Slack Web API: the Slack side of the use-case contract, and the base of the Slack tests.
 */
import type { webApi } from '@slack/bolt';
import { afterEach, expect, vi } from 'vitest';
import { startSlack, type RunningSlack } from '../../../adapters/slack/app.js';
import { EVENTS_PATH } from '../../../adapters/slack/receiver.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';
import type { Ephemeral, Harness, HarnessFactory, HarnessSetup, PostedMessage } from '../../bot/contract.js';
import {
  buttonPayload,
  commandRequest,
  eventRequest,
  interactionRequest,
  messageShortcutPayload,
  sendSigned,
  startFakeSlack,
  viewSubmissionPayload,
  type FakeSlack,
  type SendOptions,
  type SlackArgs,
  type SignedRequest,
} from '../../fakes/slack.js';
import { tmpDir } from '../../support/tmp.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-token-0123456789';
export const APP_TOKEN = 'xapp-test-token-0123456789';

export const userId = (name: string): string => `U${name.toUpperCase()}`;
export const channelId = (name: string): string => `C${name.toUpperCase()}`;

export interface SlackHarnessOptions extends Partial<HarnessSetup> {
  /** Use this store instead of a fresh SQLite file (e.g. a Redis store the test stops). */
  store?: Store;
  /** Extra environment (SLACK_APP_TOKEN for Socket Mode…). */
  extraEnv?: Record<string, string>;
  clientOptions?: Partial<webApi.WebClientOptions>;
  logger?: Logger;
  /** Reuse a running fake Slack. */
  fake?: FakeSlack;
  /** Answer mentions and DMs through this durable queue (started once Slack is up). */
  queue?: JobQueue;
}

export interface SlackHarness extends Harness {
  readonly fake: FakeSlack;
  readonly running: RunningSlack;
  readonly ctx: AppContext;
  readonly http: HttpServer;
  /** `http://127.0.0.1:<port>/slack/events` */
  readonly eventsUrl: string;
  send(request: SignedRequest, options?: Partial<SendOptions>): Promise<{ status: number; body: string; ms: number }>;
  /** Send an Events API event, returning its event id (to resend it as a retry). */
  event(event: Record<string, unknown>, options?: { eventId?: string; retryNum?: number }): Promise<{ status: number; eventId: string }>;
}

export async function startSlackHarness(options: SlackHarnessOptions = {}): Promise<SlackHarness> {
  const fake = options.fake ?? (await startFakeSlack());
  for (const name of options.platformAdmins ?? []) fake.setUser({ id: userId(name), name, is_admin: true });
  const settings = settingsFrom(options.config ?? {}, {
    ...options.env,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    ...options.extraEnv,
  });
  const dir = options.store ? undefined : tmpDir('slack');
  const store = options.store ?? (await openStore({ redisUrl: undefined, dataDir: dir!, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 }));
  const ctx = await createContext(settings, { store, logger: options.logger ?? silentLogger(), ...(options.queue ? { queue: options.queue } : {}) });
  const http = createHttpServer({ ctx });
  const running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 }, ...options.clientOptions } });
  await options.queue?.start();
  const port = await http.listen(0, '127.0.0.1');
  const eventsUrl = `http://127.0.0.1:${port}${EVENTS_PATH}`;

  const who = new Map<string, string>();
  const responseUrlFor = (user: string): string => {
    const url = fake.responseUrl();
    who.set(url.slice(url.lastIndexOf('/') + 1), `slack:${userId(user)}`);
    return url;
  };
  const send = async (request: SignedRequest, extra: Partial<SendOptions> = {}) => sendSigned(eventsUrl, request, { secret: SIGNING_SECRET, ...extra });
  const accepted = async (request: SignedRequest, extra: Partial<SendOptions> = {}): Promise<void> => {
    const res = await send(request, extra);
    if (res.status !== 200) throw new Error(`Slack request refused: HTTP ${res.status} ${res.body}`);
  };
  const event = async (e: Record<string, unknown>, o: { eventId?: string; retryNum?: number } = {}) => {
    const request = eventRequest(e, o.eventId);
    const res = await send(request, o.retryNum !== undefined ? { retryNum: o.retryNum } : {});
    return { status: res.status, eventId: request.eventId };
  };
  const findMessage = (channel: string, ts: string) => fake.messages(channelId(channel)).find((m) => m.ts === ts);

  const harness: SlackHarness = {
    fake,
    running,
    ctx,
    http,
    eventsUrl,
    send,
    event,

    command: (text, user, channel) => accepted(commandRequest({ text, user: userId(user), channel: channelId(channel), responseUrl: responseUrlFor(user) })),

    press: (action, id, user, channel) =>
      accepted(
        interactionRequest(
          buttonPayload({
            actionId: `${action === 'approve' || action === 'reject' ? 'review' : 'restyle'}_${action}`,
            value: id,
            user: userId(user),
            channel: channelId(channel),
            responseUrl: responseUrlFor(user),
          }),
        ),
      ),

    async submitEdit(id, text, user) {
      const opened = fake
        .callsTo('views.open')
        .map((c) => JSON.parse(String(c.args.view.private_metadata)) as { id: string })
        .reverse()
        .find((m) => m.id === id);
      await accepted(
        interactionRequest(
          viewSubmissionPayload({
            callbackId: 'restyle_edit',
            user: userId(user),
            privateMetadata: JSON.stringify(opened ?? { id }),
            values: { styled: { text: { type: 'plain_text_input', value: text } } },
          }),
        ),
      );
    },

    seedMessage: async (text, author, channel, o = {}) => fake.addMessage({ channel: channelId(channel), text, user: userId(author), ...(o.thread ? { thread_ts: o.thread } : {}) }),

    async react(messageId, emoji, user, channel) {
      const item_user = findMessage(channel, messageId)?.user;
      await event({ type: 'reaction_added', user: userId(user), reaction: emoji, ...(item_user ? { item_user } : {}), item: { type: 'message', channel: channelId(channel), ts: messageId } });
    },

    async unreact(messageId, emoji, user, channel) {
      await event({ type: 'reaction_removed', user: userId(user), reaction: emoji, item: { type: 'message', channel: channelId(channel), ts: messageId } });
    },

    async deleteMessage(messageId, channel) {
      await event({ type: 'message', subtype: 'message_deleted', hidden: true, channel: channelId(channel), channel_type: 'channel', ts: `${Date.now() / 1000}`, deleted_ts: messageId });
    },

    async shortcut(kind, messageId, user, channel) {
      const m = findMessage(channel, messageId);
      await accepted(
        interactionRequest(
          messageShortcutPayload({
            callbackId: kind === 'restyle' ? 'restyle_message' : 'save_sample',
            user: userId(user),
            channel: channelId(channel),
            message: { ts: messageId, text: m?.text ?? '', ...(m?.user ? { user: m.user } : {}), ...(m?.thread_ts ? { thread_ts: m.thread_ts } : {}) },
            responseUrl: responseUrlFor(user),
          }),
        ),
      );
    },

    async mention(text, user, channel, o = {}) {
      const full = `<@${fake.bot.userId}> ${text}`;
      const ts = fake.addMessage({ channel: channelId(channel), text: full, user: userId(user), ...(o.thread ? { thread_ts: o.thread } : {}) });
      await event({ type: 'app_mention', user: userId(user), text: full, ts, channel: channelId(channel), ...(o.thread ? { thread_ts: o.thread } : {}) });
      return ts;
    },

    async settle() {
      await running.idle();
      if (!options.queue) return;
      // Queued work is done by jobs: settled once the queue is empty and what the listeners follow is done.
      const queue = options.queue;
      // A queue the test closed (or whose Redis it stopped) holds nothing this process will run.
      await vi.waitFor(async () => expect(await queue.stats().then((s) => s.depth, () => 0)).toBe(0), { timeout: 20_000, interval: 20 });
      await running.idle();
    },

    posts(channel) {
      const id = channel?.replace(/^slack:/, '');
      return fake
        .messages(id)
        .filter((m) => m.bot_id === fake.bot.botId)
        .map((m): PostedMessage => {
          const credit = JSON.stringify(m.blocks ?? []).match(/Posted by <@(\w+)>/)?.[1];
          return { id: m.ts, channel: `slack:${m.channel}`, text: m.text, ...(m.thread_ts ? { thread: m.thread_ts } : {}), ...(credit ? { credit: `slack:${credit}` } : {}) };
        });
    },

    ephemerals(user) {
      const shown: Array<Ephemeral & { seq: number }> = [
        ...fake.responses.map((r) => ({ seq: r.seq, to: who.get(r.id) ?? '?', ...describe(r.body) })),
        ...fake.callsTo('chat.postEphemeral').map((c) => ({ seq: c.seq, to: `slack:${String(c.args.user)}`, ...describe(c.args) })),
      ];
      return shown
        .sort((a, b) => a.seq - b.seq)
        .filter((e) => user === undefined || e.to === user)
        .map(({ seq: _seq, ...e }) => e);
    },

    editors: () =>
      fake.callsTo('views.open').map((c) => {
        const view = c.args.view as { private_metadata: string; blocks: Array<{ element?: { initial_value?: string } }> };
        return { id: (JSON.parse(view.private_metadata) as { id: string }).id, text: view.blocks[0]?.element?.initial_value ?? '' };
      }),

    async close() {
      await options.queue?.close(0);
      await running.stop();
      await http.close();
      await ctx.close();
      if (!options.store) await store.close();
      if (!options.fake) await fake.close();
    },
  };
  return harness;
}

/** What a person sees in a message body: its text and block texts, and its buttons. */
function describe(body: SlackArgs): Omit<Ephemeral, 'to'> {
  const texts: string[] = [];
  const buttons: Array<{ action: string; id: string }> = [];
  for (const block of (body.blocks ?? []) as Array<SlackArgs>) {
    if (typeof block.text?.text === 'string') texts.push(block.text.text);
    for (const el of (block.elements ?? []) as Array<SlackArgs>) {
      if (el.type === 'button') buttons.push({ action: String(el.action_id).split('_')[1]!, id: String(el.value) });
      else if (typeof el.text === 'string') texts.push(el.text);
    }
  }
  const text = [typeof body.text === 'string' ? body.text : '', ...texts].filter(Boolean).join('\n');
  return { text, buttons, replaced: body.replace_original === true };
}

/** The Slack side of the use-case contract. */
export const slackHarnessFactory: HarnessFactory = {
  platform: 'slack',
  userKey: (name) => `slack:${userId(name)}`,
  channelKey: (name) => `slack:${channelId(name)}`,
  start: (setup) => startSlackHarness(setup),
};

/** The retry policy of the queued Slack tests: quick retries, five attempts. */
export const TEST_QUEUE_POLICY = { backoffMs: 100, maxBackoffMs: 1_000, attempts: 5 };

/**
 * For a test file whose Slack work goes through the durable queue: starts a harness on a fresh queue of
 * either engine, and closes every harness it started after each test. Call it at the top of the file.
 */
export function queuedSlackHarnesses(): (kind: QueueKind, options: Omit<SlackHarnessOptions, 'queue'>) => Promise<{ h: SlackHarness; queue: JobQueue }> {
  const started: SlackHarness[] = [];
  afterEach(async () => {
    for (const h of started.splice(0)) await h.close();
  });
  return async (kind, options) => {
    const queue = await openTestQueue(kind, TEST_QUEUE_POLICY);
    const h = await startSlackHarness({ ...options, queue });
    started.push(h);
    return { h, queue };
  };
}
