/**
 * `POST /v1/post` end to end: the real HTTP server with the real platforms wired the way `serve()` wires
 * them (Bolt against the fake Slack Web API, discord.js against the fake Discord REST + gateway), the
 * style model behind the fake OpenAI endpoint. Platform clients retry nothing here, so each injected
 * failure is the answer the route sees.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../../app/main.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { startDiscord, type RunningDiscord } from '../../../adapters/discord/app.js';
import { startSlack, type RunningSlack } from '../../../adapters/slack/app.js';
import { slackPlatform } from '../../../adapters/slack/index.js';
import { discordPlatform } from '../../../adapters/discord/index.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { ReplyOrigins } from '../../../src/bot/origins.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import type { Restyler } from '../../../src/restyle/restyler.js';
import { startFakeDiscord, type FakeChannel, type FakeDiscord } from '../../fakes/discord.js';
import { startFakeOpenAI, type FakeBody, type FakeOpenAI } from '../../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { tmpDir } from '../../support/tmp.js';

const API_TOKEN = 'api-token-0123456789';
const SLACK_BOT_TOKEN = 'xoxb-post-test-0123456789';
const SIGNING_SECRET = 'post-test-signing-secret';
const AUTH = { authorization: `Bearer ${API_TOKEN}` };

/** The fake style: the block wrapped in tildes, with the prompt's tone in front (so params are visible). */
const wavy = (body: FakeBody): string => {
  const tone = /tone: (\w+)/.exec(String(body.messages[0].content))?.[1] ?? '?';
  return `~${tone}~ ${String(body.messages[1].content)}`;
};

let model: FakeOpenAI;
let slack: FakeSlack;
let discord: FakeDiscord;
let general: FakeChannel;
let random: FakeChannel;
let ctx: AppContext;
let http: HttpServer;
let runningSlack: RunningSlack;
let runningDiscord: RunningDiscord;
let base: string;

function config(channels: Record<string, string>): Record<string, unknown> {
  return {
    styles: { wavy: { model: 'wavy-1', prompt: 'Rewrite in your style, tone: {{tone}}', params: { tone: 'calm' } } },
    channels,
    restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
  };
}

beforeAll(async () => {
  model = await startFakeOpenAI({ responder: wavy });
  slack = await startFakeSlack();
  discord = await startFakeDiscord();
  const guild = discord.addGuild({ name: 'Acme' });
  general = await discord.addChannel(guild.id, { name: 'general' });
  random = await discord.addChannel(guild.id, { name: 'random' });
  const dir = tmpDir('post');
  const settings = settingsFrom(config({ 'slack:CGENERAL': 'wavy', [`discord:${general.id}`]: 'wavy' }), {
    OPENAI_API_KEY: 'sk-post',
    OPENAI_BASE_URL: model.url,
    RESTYLE_DATA_DIR: dir,
    RESTYLE_API_TOKEN: API_TOKEN,
    SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.url,
  }, dir);
  ctx = await createContext(settings, { logger: silentLogger(), registry: 'off' });
  // As serve() does: one HTTP server, each running platform's `post` added as the poster for its prefix.
  http = createHttpServer({ ctx });
  runningSlack = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  http.addPoster('slack', runningSlack.post.bind(runningSlack), slackPlatform.checkPost);
  runningDiscord = await startDiscord({ ctx, clientOptions: { rest: { retries: 0 } } });
  http.addPoster('discord', runningDiscord.post.bind(runningDiscord), discordPlatform.checkPost);
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await http?.close();
  await runningDiscord?.stop();
  await runningSlack?.stop();
  await ctx?.close();
  await discord?.close();
  await slack?.close();
  await model?.close();
});

afterEach(() => {
  model.reset();
  model.setResponder(wavy);
});

interface ErrorBody {
  error: { code: string; message: string };
}

function postTo(url: string, body: unknown, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(`${url}/v1/post`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function call(body: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: Record<string, unknown> & Partial<ErrorBody> }> {
  const res = await postTo(base, body, headers);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & Partial<ErrorBody> };
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const slackPosts = (channel: string, text: string) => slack.messages(channel).filter((m) => m.text.includes(text));

describe('POST /v1/post: auth and input', () => {
  it('401 without the bearer token or with a wrong one; nothing is posted', async () => {
    const body = { channel: 'slack:CGENERAL', text: 'auth check' };
    const none = await call(body, {});
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({ code: 'permission_denied', message: expect.stringMatching(/bearer token/) });
    expect((await call(body, { authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await call(body, { authorization: API_TOKEN })).status).toBe(401); // no "Bearer"
    expect(slackPosts('CGENERAL', 'auth check')).toHaveLength(0);
    expect((await call(body)).status).toBe(200);
    expect(slackPosts('CGENERAL', 'auth check')).toHaveLength(1);
  });

  it('400 for a bad body, naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ text: 'x' }, /^channel: required/],
      [{ channel: 'slack:CGENERAL' }, /^text: required \(a string\)/],
      [{ channel: 'slack:CGENERAL', text: 42 }, /^text: must be a string, not a number$/],
      [{ channel: ['slack:CGENERAL'], text: 'hi' }, /^channel: must be a channel key such as slack:C0123ABC or discord:\d+, not a list$/],
      [{ channel: 'slack:CGENERAL', text: '  \n ' }, /^text: must not be empty/],
      [{ channel: 'slack:CGENERAL', text: 'x', thread: '' }, /^thread: /],
      [{ channel: 'slack:CGENERAL', text: 'x', params: { tone: 7 } }, /^params\.tone: /],
      [{ channel: 'slack:CGENERAL', text: 'x', style: '' }, /^style: /],
      [['not', 'an', 'object'], /^body: /],
    ];
    for (const [body, message] of cases) {
      const r = await call(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error?.code).toBe('input_invalid');
      expect(r.json.error?.message, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await postTo(base, '{"channel":');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorBody).error.message).toMatch(/not valid JSON/);
    expect(model.requestsTo('/chat/completions')).toHaveLength(0);
  });

  it('400 for an unknown key, naming it', async () => {
    const r = await call({ channel: 'slack:CGENERAL', text: 'x', bogus: 1, onError: 'error' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'input_invalid', message: expect.stringMatching(/^body: unknown key\(s\) bogus, onError/) });
  });

  it('400 for a channel that is not a channel key, or not one of the platform', async () => {
    const cases: Array<[string, RegExp]> = [
      ['CGENERAL', /^channel: "CGENERAL" is not a channel key; use slack:<channel id>/],
      ['default', /^channel: "default" is not a channel key/],
      ['teams:19abc', /^channel: "teams:19abc" is not a channel key/],
      ['slack:', /^channel: "slack:" is not a channel key/],
      ['slack:general', /^channel: "slack:general" is not a Slack channel; use slack:<channel id>/],
      ['discord:general', /^channel: "discord:general" is not a Discord channel; use discord:<channel id>/],
    ];
    for (const [channel, message] of cases) {
      const r = await call({ channel, text: 'where to?' });
      expect(r.status, channel).toBe(400);
      expect(r.json.error?.code).toBe('input_invalid');
      expect(r.json.error?.message, channel).toMatch(message);
    }
    expect(slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('where to?'))).toHaveLength(0);
    // Refused before the model was asked (and paid).
    expect(model.requests.filter((q) => JSON.stringify(q.body).includes('where to?'))).toHaveLength(0);
  });

  it('413 for a text over restyle.maxChars; counted as a failed post', async () => {
    const before = await metric('restyle_posts_total', 'platform="slack",outcome="failed"');
    const r = await call({ channel: 'slack:CGENERAL', text: 'a'.repeat(40_001) });
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('text_too_long');
    expect(await metric('restyle_posts_total', 'platform="slack",outcome="failed"')).toBe(before + 1);
  });
});

describe('POST /v1/post to Slack', () => {
  it('posts the styled text with chat.postMessage, answering with the message ts', async () => {
    const r = await call({ channel: 'slack:CGENERAL', text: 'The release is out.' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, channel: 'slack:CGENERAL', text: '~calm~ The release is out.', styled: true, style: 'wavy', fallbacks: 0 });
    expect(r.json).not.toHaveProperty('reason');
    const posted = slackPosts('CGENERAL', 'The release is out.');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.text).toBe('~calm~ The release is out.');
    expect(r.json.id).toBe(posted[0]!.ts);
    expect(r.json.ids).toEqual([posted[0]!.ts]);
    const sent = slack.callsTo('chat.postMessage').find((c) => c.args.text === '~calm~ The release is out.')!;
    expect(sent.token).toBe(SLACK_BOT_TOKEN);
    expect(sent.args.metadata).toMatchObject({ event_type: 'restyle_reply', event_payload: { style: 'wavy', model: 'wavy-1', hash: ReplyOrigins.hash('The release is out.') } });
    // The origin is kept so 👍/👎 on the message reach the corpus.
    const origin = await new ReplyOrigins(ctx.store).find({ key: 'slack:CGENERAL' }, posted[0]!.ts);
    expect(origin).toMatchObject({ neutral: 'The release is out.', styled: '~calm~ The release is out.', style: 'wavy' });
  });

  it('passes thread as thread_ts, and style and params to the model', async () => {
    const r = await call({ channel: 'slack:CRANDOM', text: 'Thread reply.', thread: '1700000000.000100', style: 'wavy', params: { tone: 'grim' } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ thread: '1700000000.000100', text: '~grim~ Thread reply.', styled: true });
    const [posted] = slackPosts('CRANDOM', 'Thread reply.');
    expect(posted).toMatchObject({ thread_ts: '1700000000.000100', text: '~grim~ Thread reply.' });
    const request = model.requestsTo('/chat/completions').at(-1)!;
    expect(request.body.model).toBe('wavy-1');
    expect(request.body.messages[0].content).toContain('tone: grim');
  });

  it('400 for a thread that is not a Slack ts', async () => {
    const r = await call({ channel: 'slack:CGENERAL', text: 'Bad thread.', thread: 'yesterday' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'input_invalid', message: expect.stringMatching(/^thread: "yesterday" is not a Slack message ts/) });
    expect(slackPosts('CGENERAL', 'Bad thread.')).toHaveLength(0);
    expect(model.requests.filter((q) => JSON.stringify(q.body).includes('Bad thread.'))).toHaveLength(0);
  });

  it('an unmapped channel gets the text as written, styled:false with reason no_style', async () => {
    const r = await call({ channel: 'slack:CPLAIN', text: 'Plain words.' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ text: 'Plain words.', styled: false, style: null, reason: 'no_style' });
    expect(slackPosts('CPLAIN', 'Plain words.')[0]!.text).toBe('Plain words.');
    expect(model.requestsTo('/chat/completions')).toHaveLength(0);
  });

  it('a text over the message limit is split: every part posted, ids in order', async () => {
    const paragraphs = Array.from({ length: 8 }, (_, i) => `Paragraph ${i} ${'word '.repeat(120).trim()}.`);
    const r = await call({ channel: 'slack:CGENERAL', text: paragraphs.join('\n\n') });
    expect(r.status).toBe(200);
    const ids = r.json.ids as string[];
    expect(ids.length).toBeGreaterThan(1);
    expect(r.json.id).toBe(ids[0]);
    const posted = slack.messages('CGENERAL').filter((m) => ids.includes(m.ts));
    expect(posted.map((m) => m.ts)).toEqual(ids);
    expect(posted.map((m) => m.text).join('\n\n')).toBe(r.json.text);
  });

  const slackFailures: Array<[string, number, string, Parameters<FakeSlack['failNext']>[1], RegExp]> = [
    ['channel_not_found', 422, 'platform_refused', { error: 'channel_not_found' }, /Slack refused the post: channel_not_found \(the bot cannot see this channel/],
    ['not_in_channel', 422, 'platform_refused', { error: 'not_in_channel' }, /not_in_channel/],
    ['is_archived', 422, 'platform_refused', { error: 'is_archived' }, /is_archived/],
    ['invalid_auth', 502, 'platform_error', { error: 'invalid_auth' }, /chat.postMessage failed: invalid_auth/],
    ['missing_scope', 502, 'platform_error', { error: 'missing_scope' }, /missing_scope/],
    ['ratelimited', 503, 'platform_unavailable', { error: 'ratelimited' }, /ratelimited.*try again later/],
    ['HTTP 429', 503, 'platform_unavailable', { status: 429, retryAfter: 0 }, /Slack did not take the post/],
    ['HTTP 500', 503, 'platform_unavailable', { status: 500 }, /Slack did not take the post/],
    ['HTTP 503', 503, 'platform_unavailable', { status: 503 }, /Slack did not take the post/],
    ['a dropped connection', 503, 'platform_unavailable', { drop: true }, /Slack did not take the post/],
  ];
  it.each(slackFailures)('Slack answering %s → %i %s', async (label, status, code, failure, message) => {
    const text = `Failing with ${label}.`;
    const failedBefore = await metric('restyle_posts_total', 'platform="slack",outcome="failed"');
    const okBefore = await metric('restyle_posts_total', 'platform="slack",outcome="ok"');
    slack.failNext('chat.postMessage', failure);
    const r = await call({ channel: 'slack:CGENERAL', text });
    expect(r.status).toBe(status);
    expect(r.json.error?.code).toBe(code);
    expect(r.json.error?.message).toMatch(message);
    expect(r.json.error?.message).not.toContain(SLACK_BOT_TOKEN);
    expect(slackPosts('CGENERAL', text)).toHaveLength(0);
    expect(await metric('restyle_posts_total', 'platform="slack",outcome="failed"')).toBe(failedBefore + 1);
    expect(await metric('restyle_posts_total', 'platform="slack",outcome="ok"')).toBe(okBefore);
    // The failure was Slack's once: the same request now goes through.
    expect((await call({ channel: 'slack:CGENERAL', text })).status).toBe(200);
    expect(slackPosts('CGENERAL', text)).toHaveLength(1);
  });
});

describe('POST /v1/post to Discord', () => {
  it('creates the message with the styled text in the mapped channel', async () => {
    const r = await call({ channel: `discord:${general.id}`, text: 'Deploy finished.' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, channel: `discord:${general.id}`, text: '~calm~ Deploy finished.', styled: true, style: 'wavy' });
    const posted = discord.posted(general.id).filter((m) => m.content.includes('Deploy finished.'));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.content).toBe('~calm~ Deploy finished.');
    expect(r.json.id).toBe(posted[0]!.id);
    expect(r.json.ids).toEqual([posted[0]!.id]);
  });

  it('posts into a thread of the channel, with the channel\'s style', async () => {
    const thread = await discord.addThread(general.id, { name: 'release notes' });
    const r = await call({ channel: `discord:${general.id}`, text: 'In the thread.', thread: thread.id });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ thread: thread.id, text: '~calm~ In the thread.', styled: true });
    expect(discord.posted(thread.id).map((m) => m.content)).toEqual(['~calm~ In the thread.']);
    expect(discord.posted(general.id).filter((m) => m.content.includes('In the thread.'))).toHaveLength(0);
  });

  it('400 when thread is not a thread, or a thread of another channel; nothing posted', async () => {
    const notThread = await call({ channel: `discord:${general.id}`, text: 'Not a thread.', thread: random.id });
    expect(notThread.status).toBe(400);
    expect(notThread.json.error).toMatchObject({ code: 'input_invalid', message: expect.stringMatching(new RegExp(`^thread: ${random.id} is not a thread`)) });

    const elsewhere = await discord.addThread(random.id, { name: 'elsewhere' });
    const borrowed = await call({ channel: `discord:${general.id}`, text: 'Borrowed thread.', thread: elsewhere.id });
    expect(borrowed.status).toBe(400);
    expect(borrowed.json.error?.message).toBe(`thread: ${elsewhere.id} is a thread of discord:${random.id}, not of discord:${general.id}`);

    const malformed = await call({ channel: `discord:${general.id}`, text: 'Malformed thread.', thread: 'abc' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error?.message).toMatch(/^thread: "abc" is not a Discord thread id/);

    const all = discord.messages().map((m) => m.content).join('\n');
    expect(all).not.toMatch(/Not a thread|Borrowed thread|Malformed thread/);
  });

  it('a thread that does not exist is refused by Discord: 422', async () => {
    const r = await call({ channel: `discord:${general.id}`, text: 'Ghost thread.', thread: '100000000000000001' });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'platform_refused', message: expect.stringMatching(/Unknown Channel/) });
  });

  const discordFailures: Array<[string, number, string, Parameters<FakeDiscord['failNext']>[2], RegExp]> = [
    ['403 Missing Permissions', 422, 'platform_refused', { status: 403, code: 50013, message: 'Missing Permissions' }, /Discord refused the post: Missing Permissions \(HTTP 403, code 50013\)/],
    ['404 Unknown Channel', 422, 'platform_refused', { status: 404, code: 10003, message: 'Unknown Channel' }, /HTTP 404, code 10003/],
    ['HTTP 500', 503, 'platform_unavailable', { status: 500 }, /Discord/],
    ['HTTP 502', 503, 'platform_unavailable', { status: 502 }, /Discord/],
  ];
  it.each(discordFailures)('Discord answering %s → %i %s', async (label, status, code, failure, message) => {
    const text = `Discord failing with ${label}.`;
    const failedBefore = await metric('restyle_posts_total', 'platform="discord",outcome="failed"');
    discord.failNext('POST', new RegExp(`^/channels/${general.id}/messages$`), failure);
    const r = await call({ channel: `discord:${general.id}`, text });
    expect(r.status).toBe(status);
    expect(r.json.error?.code).toBe(code);
    expect(r.json.error?.message).toMatch(message);
    expect(r.json.error?.message).not.toContain(discord.token);
    expect(discord.posted(general.id).filter((m) => m.content.includes(text))).toHaveLength(0);
    expect(await metric('restyle_posts_total', 'platform="discord",outcome="failed"')).toBe(failedBefore + 1);
  });
});

describe('POST /v1/post: the model', () => {
  it('a failing model with fail-open: the text goes out as written, styled:false with the reason', async () => {
    model.failNext(1, { status: 500 });
    const r = await call({ channel: 'slack:CGENERAL', text: 'The model is down.' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ text: 'The model is down.', styled: false, style: 'wavy', reason: 'llm_unavailable' });
    expect(slackPosts('CGENERAL', 'The model is down.').map((m) => m.text)).toEqual(['The model is down.']);
    expect(model.requestsTo('/chat/completions').filter((q) => q.fault === 'fail')).toHaveLength(1);

    model.failNext(1, { status: 401 });
    const d = await call({ channel: `discord:${general.id}`, text: 'Wrong model key.' });
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({ text: 'Wrong model key.', styled: false, reason: 'llm_auth' });
    expect(discord.posted(general.id).filter((m) => m.content.includes('Wrong model key.')).map((m) => m.content)).toEqual(['Wrong model key.']);
  });

  it('a model that adds mentions: the text goes out as written and pings no one (Slack and Discord)', async () => {
    model.setResponder((body) => `<!channel> @everyone ${wavy(body)}`);
    const s = await call({ channel: 'slack:CGENERAL', text: 'Quiet update.' });
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ text: 'Quiet update.', styled: false, fallbacks: 1 });
    expect(slackPosts('CGENERAL', 'Quiet update.').map((m) => m.text)).toEqual(['Quiet update.']);

    const d = await call({ channel: `discord:${general.id}`, text: 'Quiet on Discord.' });
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({ text: 'Quiet on Discord.', styled: false, fallbacks: 1 });
    const [message] = discord.posted(general.id).filter((m) => m.content.includes('Quiet on Discord.'));
    expect(message!.content).toBe('Quiet on Discord.');
    expect(discord.pings(message!)).toEqual({ everyone: false, users: [], roles: [] });
  });

  it('styled text that adds a mention past the filter is blocked by the route: reason mention_added', async () => {
    // A styler that lets a mention through (the filter checks per block; this is the route's last check).
    const leaky = {
      restyle: async (text: string, options: Parameters<Restyler['restyle']>[1]) => {
        const r = await ctx.restyler.restyle(text, options);
        return { ...r, text: `${r.text} <!here>` };
      },
    } as unknown as Restyler;
    const leakyHttp = createHttpServer({ ctx: { ...ctx, restyler: leaky } });
    leakyHttp.addPoster('slack', runningSlack.post.bind(runningSlack));
    const url = `http://127.0.0.1:${await leakyHttp.listen(0, '127.0.0.1')}`;
    try {
      const res = await postTo(url, { channel: 'slack:CGENERAL', text: 'Nobody to ping <@UANA>.' });
      expect(res.status).toBe(200);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json).toMatchObject({ text: 'Nobody to ping <@UANA>.', styled: false, reason: 'mention_added' });
      const posted = slackPosts('CGENERAL', 'Nobody to ping');
      expect(posted.map((m) => m.text)).toEqual(['Nobody to ping <@UANA>.']);
      // Unstyled: no origin kept for feedback, and the metadata names no style.
      expect(await new ReplyOrigins(ctx.store).find({ key: 'slack:CGENERAL' }, posted[0]!.ts)).toBeUndefined();
      const sent = slack.callsTo('chat.postMessage').find((c) => c.args.text === 'Nobody to ping <@UANA>.')!;
      expect(sent.args.metadata.event_payload).toMatchObject({ style: '', model: '' });
    } finally {
      await leakyHttp.close();
    }
  });
});

describe('POST /v1/post: metrics', () => {
  it('restyle_posts_total counts ok posts per platform, and the HTTP requests by status', async () => {
    const slackOk = await metric('restyle_posts_total', 'platform="slack",outcome="ok"');
    const discordOk = await metric('restyle_posts_total', 'platform="discord",outcome="ok"');
    const http200 = await metric('restyle_http_requests_total', 'route="/v1/post",status="200"');
    const http400 = await metric('restyle_http_requests_total', 'route="/v1/post",status="400"');
    expect((await call({ channel: 'slack:CGENERAL', text: 'Count one.' })).status).toBe(200);
    expect((await call({ channel: 'slack:CGENERAL', text: 'Count two.' })).status).toBe(200);
    expect((await call({ channel: `discord:${general.id}`, text: 'Count three.' })).status).toBe(200);
    expect((await call({ channel: 'nope', text: 'Not counted.' })).status).toBe(400);
    expect(await metric('restyle_posts_total', 'platform="slack",outcome="ok"')).toBe(slackOk + 2);
    expect(await metric('restyle_posts_total', 'platform="discord",outcome="ok"')).toBe(discordOk + 1);
    expect(await metric('restyle_http_requests_total', 'route="/v1/post",status="200"')).toBe(http200 + 3);
    expect(await metric('restyle_http_requests_total', 'route="/v1/post",status="400"')).toBe(http400 + 1);
  });
});

describe('POST /v1/post through serve()', () => {
  async function served(env: Record<string, string>, only?: 'web', queue?: 'open') {
    const dir = tmpDir('post-serve');
    const settings = settingsFrom(
      config({ 'slack:CSERVE': 'wavy' }),
      { OPENAI_API_KEY: 'sk-post', OPENAI_BASE_URL: model.url, RESTYLE_DATA_DIR: dir, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.url, ...env },
      dir,
    );
    const c = await createContext(settings, { logger: silentLogger(), registry: 'off', ...(queue ? { queue } : {}) });
    const services = await serve(c, { port: 0, ...(only ? { roles: [only] } : {}) });
    return {
      url: `http://127.0.0.1:${services.port}`,
      ctx: c,
      async close() {
        await services.stop(5_000);
        await c.close();
      },
    };
  }

  it('Slack on, Discord off: Slack posts go through; discord: channels get 503 platform_unavailable', async () => {
    const app = await served({});
    try {
      const ok = await postTo(app.url, { channel: 'slack:CSERVE', text: 'Served post.' }, {});
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ text: '~calm~ Served post.', styled: true });
      expect(slackPosts('CSERVE', 'Served post.').map((m) => m.text)).toEqual(['~calm~ Served post.']);

      const off = await postTo(app.url, { channel: `discord:${general.id}`, text: 'Nowhere to go.' }, {});
      expect(off.status).toBe(503);
      expect(((await off.json()) as ErrorBody).error).toEqual({ code: 'platform_unavailable', message: expect.stringMatching(/^discord is off in this process: set DISCORD_BOT_TOKEN/) });
      expect(model.requestsTo('/chat/completions').filter((q) => String(q.body.messages[1].content).includes('Nowhere to go.'))).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('with the durable queue, as `restyle bot` runs: a post to a platform that is off is refused at once, not queued to retry', async () => {
    const app = await served({}, undefined, 'open');
    try {
      const r = await postTo(app.url, { channel: `discord:${general.id}`, text: 'Off everywhere.' }, { 'idempotency-key': 'off-everywhere' });
      expect(r.status).toBe(503);
      expect(((await r.json()) as ErrorBody).error).toEqual({ code: 'platform_unavailable', message: expect.stringMatching(/^discord is off in this process: set DISCORD_BOT_TOKEN/) });
      // Nothing recorded: no job retries it, and the key is free for a retry once Discord is on.
      expect((await app.ctx.queue!.stats()).depth).toBe(0);
      expect((await app.ctx.queue!.failed()).map((j) => j.id)).toEqual([]);
      // Slack is on: its posts still go through the queue.
      expect((await postTo(app.url, { channel: 'slack:CSERVE', text: 'Queued post.' }, {})).status).toBe(200);
      expect(slackPosts('CSERVE', 'Queued post.')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('--only web without a Discord token: discord: channels get 503 naming the process that would run it', async () => {
    const app = await served({}, 'web');
    try {
      const r = await postTo(app.url, { channel: `discord:${general.id}`, text: 'Wrong process.' }, {});
      expect(r.status).toBe(503);
      expect(((await r.json()) as ErrorBody).error).toMatchObject({ code: 'platform_unavailable', message: expect.stringMatching(/^discord is not running in this process \(started with --only web; discord runs with --only gateway\)/) });
      expect(discord.messages().some((m) => m.content.includes('Wrong process.'))).toBe(false);
      // Slack is the web process's own.
      expect((await postTo(app.url, { channel: 'slack:CSERVE', text: 'Web process post.' }, {})).status).toBe(200);
      expect(slackPosts('CSERVE', 'Web process post.')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
