import { App, LogLevel } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SlackActions } from '../../../adapters/slack/actions.js';
import { restyleSlack, noRestyle } from '../../../adapters/slack/middleware.js';
import { slackPlace } from '../../../adapters/slack/convert.js';
import { ReplyOrigins } from '../../../src/bot/origins.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { silentLogger } from '../../../src/log.js';
import { openStore } from '../../../src/store/index.js';
import { buttonPayload, commandRequest, eventRequest, interactionRequest, sendSigned, startFakeSlack } from '../../fakes/slack.js';
import { startRedis } from '../../support/redis.js';
import { tmpDir } from '../../support/tmp.js';
import { BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, channelId, startSlackHarness, userId, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const ANSWER = 'ANSWER-SOURCE';
let h: SlackHarness | undefined;

const model = useFakeOpenAI();
afterEach(async () => {
  await h?.close();
  h = undefined;
  model.setResponder(respond);
});

function respond(body: { messages: Array<{ role: string; content: string }> }): string {
  const system = body.messages[0]?.content ?? '';
  const user = body.messages[body.messages.length - 1]?.content ?? '';
  return system === ANSWER ? `Answer to ${user}` : user.toUpperCase();
}

const config = (extra: Record<string, unknown> = {}) => ({
  styles: { loud: { model: 'loud-1' } },
  channels: { [`slack:${channelId('general')}`]: 'loud' },
  restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
  bot: { reviewers: [`slack:${userId('rita')}`], answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER } },
  ...extra,
});
const env = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: model.url });
const start = async (options: Parameters<typeof startSlackHarness>[0] = {}) => {
  model.setResponder(respond);
  h = await startSlackHarness({ config: config(), env: env(), ...options });
  return h;
};
const shownTo = (x: SlackHarness, name: string) => x.ephemerals(`slack:${userId(name)}`).map((e) => e.text);

describe('Slack over HTTP', () => {
  it('refuses a bad, foreign or stale signature with 401 and handles nothing', async () => {
    const x = await start();
    const request = commandRequest({ text: 'help', user: userId('ana'), channel: channelId('general'), responseUrl: x.fake.responseUrl() });
    expect((await x.send(request, { signature: 'v0=0000' })).status).toBe(401);
    expect((await x.send(request, { secret: 'someone-elses-secret' })).status).toBe(401);
    expect((await x.send(request, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    await x.settle();
    expect(x.fake.responses).toEqual([]);
    expect((await x.send(request)).status).toBe(200);
    await x.settle();
    expect(x.fake.responses).toHaveLength(1);
  });

  it('refuses a correctly signed press in a shape Slack never sends with a 400 naming the field, and runs nothing', async () => {
    const x = await start();
    // Slack sends a button's value as a string; fuzzing found an object there (fast-check), which Bolt would pass on.
    const press = buttonPayload({ actionId: 'restyle_post', value: 'p1', user: userId('ana'), channel: channelId('general'), responseUrl: x.fake.responseUrl() });
    const actions = press.actions as Array<Record<string, unknown>>;
    const res = await x.send(interactionRequest({ ...press, actions: [{ ...actions[0], value: {} }] }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'input_invalid', message: expect.stringContaining('actions.0.value') } });
    const team = await x.send(interactionRequest({ ...press, team: 'T0FAKE' }));
    expect(team.status).toBe(400);
    expect(team.body).toContain('team');
    await x.settle();
    expect(x.fake.responses).toEqual([]);
    // The same press as Slack sends it is answered (the preview it names is gone).
    expect((await x.send(interactionRequest(press))).status).toBe(200);
    await x.settle();
    expect(x.fake.responses).toHaveLength(1);
  });

  it('answers the url_verification challenge and serves only POST /slack/events', async () => {
    const x = await start();
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
    const res = await x.send({ body, contentType: 'application/json' });
    expect(res).toMatchObject({ status: 200 });
    expect(res.body).toContain('c-123');
    expect((await fetch(x.eventsUrl)).status).toBe(405);
  });

  it("handles Slack's retry of an event (X-Slack-Retry-Num) exactly once", async () => {
    const x = await start();
    const ts = x.fake.addMessage({ channel: channelId('general'), text: `<@UBOT> status?`, user: userId('ana') });
    const event = { type: 'app_mention', user: userId('ana'), text: '<@UBOT> status?', ts, channel: channelId('general') };
    const first = await x.event(event);
    const retries = await Promise.all([x.event(event, { eventId: first.eventId, retryNum: 1 }), x.event(event, { eventId: first.eventId, retryNum: 2 })]);
    expect([first, ...retries].map((r) => r.status)).toEqual([200, 200, 200]);
    await x.settle();
    expect(x.posts()).toHaveLength(1);
    expect(x.posts()[0]).toMatchObject({ text: 'ANSWER TO STATUS?', thread: ts });
    expect(model.requests.filter((r) => (r.body as { model: string }).model === 'answer-1')).toHaveLength(1);

    // The event id is claimed before any work: a retried reaction does not even re-read the message.
    const star = await x.seedMessage('Starred once.', 'carl', 'general');
    const reaction = { type: 'reaction_added', user: userId('ana'), reaction: 'star', item: { type: 'message', channel: channelId('general'), ts: star } };
    const sent = await x.event(reaction);
    await x.event(reaction, { eventId: sent.eventId, retryNum: 1 });
    await x.settle();
    expect(x.fake.callsTo('conversations.history')).toHaveLength(1);
    expect(shownTo(x, 'ana')).toEqual([expect.stringMatching(/^Saved/)]);
  });

  it('saves a message once when two sample reactions race', async () => {
    const x = await start();
    const ts = await x.seedMessage('A line worth keeping.', 'carl', 'general');
    await Promise.all([x.react(ts, 'star', 'ana', 'general'), x.react(ts, 'star', 'ben', 'general'), x.react(ts, 'star::skin-tone-2', 'dan', 'general')]);
    await x.settle();
    expect(await new SampleRepository(x.ctx.store).list()).toHaveLength(1);
    const told = [...shownTo(x, 'ana'), ...shownTo(x, 'ben'), ...shownTo(x, 'dan')];
    expect(told.filter((t) => t.startsWith('Saved'))).toHaveLength(1);
    expect(told.filter((t) => t.startsWith('Already saved'))).toHaveLength(2);
  });

  it('tells the user "not saved" when the store is down, and saves nothing', async () => {
    const redis = await startRedis();
    const store = await openStore({ redisUrl: redis.url, dataDir: tmpDir('slack-redis'), sqlitePath: '', connectTimeoutMs: 500 });
    try {
      const x = await start({ store });
      const ts = await x.seedMessage('Kept only if the store is up.', 'carl', 'general');
      await redis.stop();
      await x.react(ts, 'star', 'ana', 'general');
      await x.settle();
      const told = shownTo(x, 'ana');
      expect(told).toEqual([expect.stringMatching(/^Not saved: the store is unavailable/)]);
      expect(told[0]).not.toMatch(/at .*\.ts:\d+/);
      await redis.start();
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
      expect(await new SampleRepository(store).list()).toEqual([]);
    } finally {
      await h?.close();
      h = undefined;
      await store.close();
      await redis.stop();
    }
  });

  it('acks /restyle before the model answers, and falls back to the text when the model times out', async () => {
    const x = await start({ config: config({ restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 300, deadlineMs: 600 } }) });
    model.hangNext();
    const res = await x.send(commandRequest({ text: 'Slow news.', user: userId('ana'), channel: channelId('general'), responseUrl: x.fake.responseUrl() }));
    expect(res.status).toBe(200);
    expect(x.fake.responses).toEqual([]);
    await x.settle();
    const [preview] = x.ephemerals();
    expect(preview?.text).toContain('Slow news.');
    expect(preview?.text).toMatch(/style model was not used/);
  });

  it('splits a long answer within Slack limits, in the thread, each part carrying metadata', async () => {
    const x = await start();
    const paragraph = 'This sentence is part of a long answer. '.repeat(20).trim();
    model.setResponder((body) => {
      const system = body.messages[0]?.content ?? '';
      const user = body.messages[body.messages.length - 1]?.content ?? '';
      return system === ANSWER ? Array.from({ length: 10 }, () => paragraph).join('\n\n') : user.toUpperCase();
    });
    const ts = await x.mention('tell me everything', 'ana', 'general');
    await x.settle();
    const posts = x.posts();
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const p of posts) {
      expect(p.text.length).toBeLessThanOrEqual(3000);
      expect(p.thread).toBe(ts);
    }
    expect(posts.map((p) => p.text).join('\n\n')).toBe(Array.from({ length: 10 }, () => paragraph.toUpperCase()).join('\n\n'));
    const metadata = x.fake.callsTo('chat.postMessage').map((c) => c.args.metadata);
    expect(new Set(metadata.map((m) => JSON.stringify(m))).size).toBe(1);
    expect(metadata[0]).toEqual({ event_type: 'restyle_reply', event_payload: { style: 'loud', model: 'loud-1', hash: expect.stringMatching(/^[0-9a-f]{16}$/) } });
  });

  it('an answer model that runs on is cut at bot.answer.maxChars with a note, not posted as message after message', async () => {
    const x = await start({ config: config({ bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER, maxChars: 2000 } } }) });
    // A model stuck in a loop: 200,000 characters would be ~52 Slack messages.
    const loop = 'And so the deploy went on. '.repeat(7500);
    model.setResponder((body) => (body.messages[0]?.content === ANSWER ? loop : String(body.messages.at(-1)?.content ?? '').toUpperCase()));
    await x.mention('what happened?', 'ana', 'general');
    await x.settle();
    const posted = x.posts().map((p) => p.text).join('\n\n');
    expect(x.posts()).toHaveLength(1);
    expect(posted.endsWith('… (ANSWER CUT AT 2,000 CHARACTERS)')).toBe(true);
    expect(posted.length).toBeLessThan(2000 + 60);
  });

  it('reports a Slack error on Post and keeps the preview usable', async () => {
    const x = await start();
    await x.command('Try twice.', 'ana', 'general');
    await x.settle();
    const id = x.ephemerals()[0]!.buttons.find((b) => b.action === 'post')!.id;
    x.fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    await x.press('post', id, 'ana', 'general');
    await x.settle();
    expect(shownTo(x, 'ana').at(-1)).toMatch(/Not posted: .*invite it/);
    expect(x.posts()).toEqual([]);
    await x.press('post', id, 'ana', 'general');
    await x.settle();
    expect(x.posts().map((p) => p.text)).toEqual(['TRY TWICE.']);
  });

  it('waits out a 429 with Retry-After and posts once', async () => {
    const x = await start({ clientOptions: { retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 } } });
    await x.command('Rate limited.', 'ana', 'general');
    await x.settle();
    const id = x.ephemerals()[0]!.buttons.find((b) => b.action === 'post')!.id;
    x.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await x.press('post', id, 'ana', 'general');
    await x.settle();
    expect(x.posts().map((p) => p.text)).toEqual(['RATE LIMITED.']);
    expect(x.fake.callsTo('chat.postMessage')).toHaveLength(2);
  });

  it('falls back to an ephemeral post when the response_url refuses', async () => {
    const x = await start();
    x.fake.failResponses(404);
    await x.command('help', 'ana', 'general');
    await x.settle();
    expect(x.fake.callsTo('chat.postEphemeral').map((c) => c.args)).toEqual([expect.objectContaining({ channel: channelId('general'), user: userId('ana'), text: expect.stringMatching(/map STYLE/) })]);
  });

  it('guards mentions at post time even when the caller hands over an added one', async () => {
    const fake = await startFakeSlack();
    try {
      const app = new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } }, logLevel: LogLevel.ERROR });
      const actions = new SlackActions(app.client, silentLogger());
      await actions.post(slackPlace(channelId('general')), '<!channel> <@UEVE> SHIP IT <@UANA>', { origin: { style: 'loud', model: 'loud-1', neutral: 'ship it <@UANA>' } });
      await actions.post(slackPlace(channelId('general')), '<!here> as written');
      expect(fake.callsTo('chat.postMessage').map((c) => c.args.text)).toEqual(['ship it <@UANA>', '&lt;!here&gt; as written']);
    } finally {
      await fake.close();
    }
  });
});

describe('Slack over Socket Mode', () => {
  it('connects with the app token, handles a command and an event, and acks each envelope', async () => {
    const fake = await startFakeSlack();
    const socket = await fake.startSocketMode();
    const x = await start({ fake, extraEnv: { SLACK_APP_TOKEN: APP_TOKEN } });
    try {
      expect(x.running.mode).toBe('socket');
      await socket.connected();
      expect(x.running.ready()).toBe(true);
      expect(fake.callsTo('apps.connections.open')[0]?.token).toBe(APP_TOKEN);

      const responseUrl = fake.responseUrl();
      const ack = await socket.send({
        type: 'slash_commands',
        payload: { command: '/restyle', text: 'Socket hello.', user_id: userId('ana'), channel_id: channelId('general'), team_id: 'T0FAKE', response_url: responseUrl, trigger_id: 't.1' },
      });
      expect(ack.envelope_id).toMatch(/\w+/);
      const ts = fake.addMessage({ channel: channelId('general'), text: 'Socket sample.', user: userId('carl') });
      const event = JSON.parse(eventRequest({ type: 'reaction_added', user: userId('ana'), reaction: 'star', item: { type: 'message', channel: channelId('general'), ts } }).body) as Record<string, unknown>;
      await socket.send({ type: 'events_api', payload: event });
      await x.settle();
      expect(fake.responses.map((r) => r.body.text)).toEqual([expect.stringContaining('SOCKET HELLO.')]);
      expect(await new SampleRepository(x.ctx.store).list()).toMatchObject([{ styled: 'Socket sample.' }]);
    } finally {
      await x.close();
      h = undefined;
      await fake.close();
    }
  });
});

describe('restyleSlack middleware for an existing Bolt app', () => {
  it('filters say, client.chat.postMessage and respond for mapped channels, with a per-call opt-out', async () => {
    const fake = await startFakeSlack();
    const x = await start({ fake });
    const mw = restyleSlack(x.ctx.restyler, { store: x.ctx.store });
    const app = new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 }, fetch: mw.fetch }, logLevel: LogLevel.ERROR });
    app.use(mw);
    app.command('/hello', async ({ ack, say, respond, client, command }) => {
      await ack();
      await say(`said ${command.text}`);
      await say(noRestyle({ text: `raw ${command.text}` }));
      await client.chat.postMessage({ channel: command.channel_id, text: `posted ${command.text}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `block ${command.text}` } }] });
      await respond(`responded ${command.text}`);
    });
    const server = (await app.start(0)) as unknown as { address(): AddressInfo };
    const url = `http://127.0.0.1:${server.address().port}/slack/events`;
    try {
      for (const channel of ['general', 'random']) {
        const res = await sendSigned(url, commandRequest({ command: '/hello', text: 'there', user: userId('ana'), channel: channelId(channel), responseUrl: fake.responseUrl() }), { secret: SIGNING_SECRET });
        expect(res.status).toBe(200);
        await vi.waitFor(() => expect(fake.responses.length).toBe(channel === 'general' ? 1 : 2));
      }
      const posted = fake.callsTo('chat.postMessage').map((c) => [c.args.channel, c.args.text, c.args.blocks?.[0]?.text?.text ?? null, c.args.metadata?.event_payload?.style ?? null]);
      expect(posted).toEqual([
        [channelId('general'), 'SAID THERE', null, 'loud'],
        [channelId('general'), 'raw there', null, null],
        [channelId('general'), 'POSTED THERE', 'BLOCK THERE', 'loud'],
        [channelId('random'), 'said there', null, null],
        [channelId('random'), 'raw there', null, null],
        [channelId('random'), 'posted there', 'block there', null],
      ]);
      expect(fake.responses.map((r) => r.body.text)).toEqual(['RESPONDED THERE', 'responded there']);
      expect(fake.callsTo('chat.postMessage').filter((c) => 'restyle' in c.args)).toEqual([]);
      const first = fake.messages(channelId('general'))[0]!;
      expect(await new ReplyOrigins(x.ctx.store).find(slackPlace(channelId('general')), first.ts)).toMatchObject({ style: 'loud', neutral: 'said there', styled: 'SAID THERE' });
    } finally {
      await app.stop();
      await x.close();
      h = undefined;
      await fake.close();
    }
  });

  it('restyles only the app whose client was given the fetch: a second Bolt app in the process is untouched', async () => {
    const fake = await startFakeSlack();
    const x = await start({ fake });
    const mw = restyleSlack(x.ctx.restyler);
    const options = (fetch?: typeof globalThis.fetch) => ({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 }, ...(fetch ? { fetch } : {}) }, logLevel: LogLevel.ERROR });
    const wrapped = new App(options(mw.fetch));
    wrapped.use(mw);
    const other = new App(options());
    const postMessage = wrapped.client.chat.postMessage;
    try {
      await wrapped.client.chat.postMessage({ channel: channelId('general'), text: 'from the wrapped app' });
      await other.client.chat.postMessage({ channel: channelId('general'), text: 'from the other app' });
      await other.client.chat.postMessage({ channel: channelId('general'), text: 'flag left alone', restyle: false } as never);
      expect(fake.callsTo('chat.postMessage').map((c) => [c.args.text, c.args.restyle ?? null])).toEqual([
        ['FROM THE WRAPPED APP', null],
        ['from the other app', null],
        ['flag left alone', 'false'],
      ]);
      // Nothing of the SDK's was replaced.
      expect(wrapped.client.chat.postMessage).toBe(postMessage);
    } finally {
      await x.close();
      h = undefined;
      await fake.close();
    }
  });
});
