/**
 * Chaos: the chat platform's API is slow. Slack: every Web API method answers after 4 s (response_urls
 * after 2 s) while events, slash commands, buttons, modal submissions and message shortcuts arrive at the
 * real Bolt receiver over signed HTTP: every request must be acknowledged with HTTP 200 while every Web API
 * answer is still held back (so no acknowledgement waits for the API, however busy the machine), and
 * everything the slow calls carry must still land (0 lost). Discord: every REST route but the interaction
 * callback is slow and held; every interaction must still be deferred and its reply land. Ack latencies are
 * printed, one line per platform; their speed goals live in bench/slack.bench.ts and bench/discord.bench.ts.
 */
import { describe, it } from 'vitest';
import { EDIT_BLOCK, EDIT_CALLBACK, EDIT_INPUT } from '../../adapters/slack/render.js';
import { SampleRepository } from '../../src/samples/repository.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import {
  buttonPayload,
  commandRequest,
  eventRequest,
  interactionRequest,
  messageShortcutPayload,
  viewSubmissionPayload,
  type SignedRequest,
} from '../fakes/slack.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from '../adapters/slack/harness.js';
import { idFor, startDiscordHarness, T, type DiscordHarness } from '../adapters/discord/harness.js';
import { startFakeDiscord, type FakeInteraction } from '../fakes/discord.js';

const API_LATENCY_MS = 4000;
const RESPONSE_URL_LATENCY_MS = 2000;
/** Slack and Discord give up on an acknowledgement after 3 s (printed beside the figures). */
const PLATFORM_ACK_MS = 3000;
const ANSWER_PROMPT = 'ANSWER-SOURCE';

/** Closes what a test started, last first (the two tests run at once, so no shared afterEach). */
type Cleanups = Array<() => Promise<void>>;
async function cleanUp(cleanups: Cleanups): Promise<void> {
  for (const close of cleanups.splice(0).reverse()) await close();
}

async function startModel(cleanups: Cleanups): Promise<FakeOpenAI> {
  const model = await startFakeOpenAI({
    responder: (body) => {
      const user = String(body.messages.at(-1).content);
      return body.messages[0].content === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
    },
  });
  cleanups.push(() => model.close());
  return model;
}

const config = (channelKey: string) => ({
  styles: { loud: { model: 'loud-1' } },
  channels: { [channelKey]: 'loud' },
  restyle: { cacheTtlSeconds: 0, maxRetries: 0, requestTimeoutMs: 5000 },
  bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT } },
});

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still busy after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// Both platforms' tests spend their time waiting on the fakes' latency: run them side by side.
describe.concurrent('chaos: a slow chat platform API', () => {
  it('Slack: acks every event, command, button, modal and shortcut while the Web API takes 4 s (held), and loses nothing', async ({ expect, onTestFinished }) => {
    const cleanups: Cleanups = [];
    onTestFinished(() => cleanUp(cleanups));
    const model = await startModel(cleanups);
    const channel = channelId('general');
    const h: SlackHarness = await startSlackHarness({ config: config(`slack:${channel}`), env: { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: model.url } });
    cleanups.push(() => h.close());
    const { fake } = h;
    const responseUrl = (() => {
      const made = new Map<string, string>();
      return Object.assign((label: string) => {
        const url = fake.responseUrl();
        made.set(url.slice(url.lastIndexOf('/') + 1), label);
        return url;
      }, { label: (id: string) => made.get(id) });
    })();

    // Before the slowdown: previews to press Post on and to edit (their owners are then in the user cache).
    const owners = Array.from({ length: 10 }, (_, i) => userId(`owner${i}`));
    for (const [i, user] of owners.entries()) {
      const res = await h.send(commandRequest({ text: `draft ${i}`, user, channel, responseUrl: responseUrl(`setup ${i}`) }));
      expect(res.status).toBe(200);
    }
    await h.settle();
    const previewIds = owners.map((_, i) => {
      const r = fake.responses.find((x) => responseUrl.label(x.id) === `setup ${i}`);
      const buttons = ((r?.body.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>).flatMap((b) => b.elements ?? []);
      const post = buttons.find((b) => b.action_id === 'restyle_post')?.value;
      expect(post, `preview ${i}`).toBeTypeOf('string');
      return post!;
    });
    const starred = Array.from({ length: 5 }, (_, i) => fake.addMessage({ channel, text: `A line worth keeping, number ${i}.`, user: userId('carl') }));
    const shortcutTargets = Array.from({ length: 5 }, (_, i) => fake.addMessage({ channel, text: `Please restyle me, number ${i}.`, user: userId('carl') }));
    const calmCalls = fake.calls.length;
    const calmResponses = fake.responses.length;

    fake.setLatency(API_LATENCY_MS);
    fake.setResponseLatency(RESPONSE_URL_LATENCY_MS);
    const release = fake.hold();

    type Sent = { kind: string; request: SignedRequest; label?: string; ts?: string; user?: string };
    const requests: Sent[] = [];
    const mentions: string[] = [];
    for (let i = 0; i < 10; i++) {
      const text = `<@${fake.bot.userId}> question ${i}`;
      const ts = fake.addMessage({ channel, text, user: userId('ana') });
      mentions.push(ts);
      requests.push({ kind: 'event app_mention', ts, request: eventRequest({ type: 'app_mention', user: userId('ana'), text, ts, channel }) });
    }
    for (const [i, ts] of starred.entries()) {
      requests.push({ kind: 'event reaction_added', ts, user: userId(`fan${i}`), request: eventRequest({ type: 'reaction_added', user: userId(`fan${i}`), reaction: 'star', item_user: userId('carl'), item: { type: 'message', channel, ts } }) });
    }
    for (let i = 0; i < 10; i++) {
      const label = `command ${i}`;
      requests.push({ kind: 'slash command', label, request: commandRequest({ text: `slow text ${i}`, user: userId(`writer${i}`), channel, responseUrl: responseUrl(label) }) });
    }
    for (const [i, ts] of shortcutTargets.entries()) {
      const label = `shortcut ${i}`;
      const payload = messageShortcutPayload({ callbackId: 'restyle_message', user: userId(`reader${i}`), channel, message: { ts, text: `Please restyle me, number ${i}.`, user: userId('carl') }, responseUrl: responseUrl(label) });
      requests.push({ kind: 'message shortcut', label, request: interactionRequest(payload) });
    }
    for (let i = 0; i < 5; i++) {
      const label = `post button ${i}`;
      requests.push({ kind: 'button', label, user: owners[i]!, request: interactionRequest(buttonPayload({ actionId: 'restyle_post', value: previewIds[i]!, user: owners[i]!, channel, responseUrl: responseUrl(label) })) });
    }
    for (let i = 5; i < 10; i++) {
      const label = `edit ${i}`;
      const payload = viewSubmissionPayload({
        callbackId: EDIT_CALLBACK,
        user: owners[i]!,
        privateMetadata: JSON.stringify({ id: previewIds[i], responseUrl: responseUrl(label), channel }),
        values: { [EDIT_BLOCK]: { [EDIT_INPUT]: { type: 'plain_text_input', value: `edited draft ${i}` } } },
      });
      requests.push({ kind: 'modal submission', label, user: owners[i]!, request: interactionRequest(payload) });
    }

    const t0 = performance.now();
    const acks = await Promise.all(requests.map(async (r) => ({ ...r, res: await h.send(r.request) })));
    // Every request was acknowledged while no Web API call or response_url had been answered yet.
    const answeredWhileAcking = fake.responses.length - calmResponses;
    release();
    await within(h.settle(), 30_000, 'slack');
    const settledAfter = performance.now() - t0;

    // What the slow calls carried, per request.
    const threadAnswers = new Set(fake.messages(channel).filter((m) => m.bot_id === fake.bot.botId && m.thread_ts && mentions.includes(m.thread_ts)).map((m) => m.thread_ts));
    const responded = new Set(fake.responses.slice(calmResponses).map((r) => responseUrl.label(r.id)));
    const saved = (await new SampleRepository(h.ctx.store).list()).filter((x) => x.source === 'reaction');
    const confirmations = fake.callsTo('chat.postEphemeral').filter((c) => String(c.args.user).startsWith('UFAN') && /^Saved/.test(String(c.args.text)));
    const credited = fake.messages(channel).filter((m) => m.bot_id === fake.bot.botId && /Posted by <@UOWNER\d>/.test(JSON.stringify(m.blocks ?? [])));
    const landedFor = (a: Sent): boolean => {
      if (a.kind === 'event app_mention') return threadAnswers.has(a.ts);
      if (a.kind === 'event reaction_added') return saved.some((x) => x.messageId === a.ts) && confirmations.some((c) => c.args.user === a.user);
      // Post and a submitted edit both post the text, credited to the person.
      if (a.kind === 'button' || a.kind === 'modal submission') return responded.has(a.label) && credited.some((m) => JSON.stringify(m.blocks).includes(`<@${a.user}>`));
      return responded.has(a.label);
    };
    const lost = acks.filter((a) => !landedFor(a)).map((a) => a.label ?? `${a.kind} ${a.ts ?? ''}`);
    const landed = acks.length - lost.length;

    const ms = acks.map((a) => a.res.ms);
    const ok = acks.filter((a) => a.res.status === 200).length;
    console.log(
      `chaos slow-slack: ${ok}/${acks.length} requests acked with HTTP 200 (p50 ${Math.round(percentile(ms, 50))} ms, p99 ${Math.round(percentile(ms, 99))} ms, max ${Math.round(Math.max(...ms))} ms; Slack allows ${PLATFORM_ACK_MS} ms) while every Web API call took ${API_LATENCY_MS} ms and response_urls ${RESPONSE_URL_LATENCY_MS} ms; ${landed}/${acks.length} landed, ${acks.length - landed} lost, all done ${(settledAfter / 1000).toFixed(1)} s after sending`,
    );

    expect(acks.filter((a) => a.res.status !== 200).map((a) => `${a.kind}: ${a.res.status} ${a.res.body}`)).toEqual([]);
    // The acks did not wait for the API: all were in while every answer was held.
    expect(answeredWhileAcking).toBe(0);
    expect(fake.calls.length).toBeGreaterThan(calmCalls);
    expect(settledAfter).toBeGreaterThanOrEqual(API_LATENCY_MS);

    // 0 lost: every answer, preview, post, edit and save landed, once.
    expect(threadAnswers.size).toBe(10);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts && mentions.includes(String(c.args.thread_ts)))).toHaveLength(10);
    for (const a of acks.filter((x) => x.label)) expect(responded, a.label).toContain(a.label);
    expect(credited).toHaveLength(10);
    expect(credited.filter((m) => /^edited draft \d$/.test(m.text))).toHaveLength(5);
    expect(saved).toHaveLength(5);
    expect(confirmations).toHaveLength(5);
    expect(lost).toEqual([]);
  });

  it('Discord: defers every interaction while the rest of the REST API takes 4 s (held), and every reply lands', async ({ expect, onTestFinished }) => {
    const cleanups: Cleanups = [];
    onTestFinished(() => cleanUp(cleanups));
    const model = await startModel(cleanups);
    const generalKey = `discord:${idFor('channel', 'general')}`;
    // Discord's own 3 s acknowledgement window is a speed goal (bench/discord.bench.ts); here the point is that
    // deferring never waits for the held REST API, however long a busy machine takes to get there.
    const discord = await startFakeDiscord({ ackDeadlineMs: 120_000 });
    cleanups.push(() => discord.close());
    const h: DiscordHarness = await startDiscordHarness({ fake: discord, config: config(generalKey), env: { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: model.url } });
    cleanups.push(() => h.close());
    const { fake } = h;
    const general = await h.channel('general');
    // Mentions in separate channels: discord.js sends one channel's messages one after another.
    const rooms = await Promise.all(['room-a', 'room-b', 'room-c'].map((name) => h.channel(name)));
    const targets = Array.from({ length: 3 }, (_, i) => fake.addMessage({ channel: general.id, author: h.user('carl'), content: `Please restyle me, number ${i}.` }));

    // Everything but the interaction callback (the acknowledgement itself) is slow.
    fake.setLatency(API_LATENCY_MS, undefined, /^\/(?!interactions\/)/);
    const release = fake.hold(/^\/(?!interactions\/)/);

    const t0 = performance.now();
    const sent: Array<Promise<FakeInteraction>> = [];
    for (let i = 0; i < 10; i++) sent.push(h.slash('text', { text: `slow text ${i}` }, `writer${i}`, 'general'));
    for (const [i, m] of targets.entries()) {
      sent.push(
        fake.interact({
          type: T.command,
          user: h.user(`reader${i}`),
          channel: general.id,
          data: { id: idFor('channel', 'cmd-restyle-menu'), name: 'Restyle message', type: T.messageMenu, target_id: m.id, resolved: { messages: { [m.id]: fake.messagePayload(m) } } },
        }),
      );
    }
    const mentionIds = rooms.map((room, i) => {
      const m = fake.addMessage({ channel: room.id, author: h.user('ana'), content: `<@${fake.bot.id}> question ${i}` });
      void h.push('MESSAGE_CREATE', fake.messagePayload(m));
      return m.id;
    });
    const interactions = await Promise.all(sent);
    // The acknowledgement is the callback request; it must have reached Discord in time.
    const acks = await Promise.all(
      interactions.map(async (i) => {
        const callback = await fake.waitForRequest('POST', new RegExp(`^/interactions/${i.id}/`));
        return { i, ms: callback.at - i.createdAt, callback };
      }),
    );
    // Every interaction was deferred while every other REST answer was held.
    release();
    await within(h.settle(), 30_000, 'discord');
    const settledAfter = performance.now() - t0;

    const replied = interactions.filter((i) => fake.events.some((e) => e.interactionId === i.id && e.kind === 'edit-original'));
    const answered = rooms.filter((room, k) => fake.posted(room.id).some((m) => m.message_reference?.message_id === mentionIds[k]));
    const ms = acks.map((a) => a.ms);
    const deferred = acks.filter((a) => a.i.ackType === 5).length;
    const total = interactions.length + rooms.length;
    const landed = replied.length + answered.length;
    console.log(
      `chaos slow-discord: ${deferred}/${interactions.length} interactions deferred (p50 ${Math.round(percentile(ms, 50))} ms, p99 ${Math.round(percentile(ms, 99))} ms, max ${Math.round(Math.max(...ms))} ms; Discord allows ${PLATFORM_ACK_MS} ms) while every other REST call took ${API_LATENCY_MS} ms; ${landed}/${total} replies and answers landed, ${total - landed} lost, all done ${(settledAfter / 1000).toFixed(1)} s after sending`,
    );

    expect(deferred).toBe(interactions.length);
    // Read after settling: a request is recorded when it arrives, its status once answered.
    expect(acks.map((a) => a.callback.status)).toEqual(acks.map(() => 204));
    expect(settledAfter).toBeGreaterThanOrEqual(API_LATENCY_MS);
    expect(replied).toHaveLength(interactions.length);
    expect(answered).toHaveLength(rooms.length);
    // Each reply is the styled preview of its own text.
    for (const [k, i] of interactions.slice(0, 10).entries()) {
      const edit = fake.events.find((e) => e.interactionId === i.id && e.kind === 'edit-original');
      expect(JSON.stringify(edit?.body)).toContain(`SLOW TEXT ${k}`);
    }
  });
});
