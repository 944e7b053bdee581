/**
 * Post once across a crash: a `/v1/post` job whose first attempt posted but died before it could record
 * the platform's id (as a SIGKILL between the platform's answer and `job.save` leaves it: the job waiting
 * again, nothing saved) runs again and finds its message — Slack by the job id in the message metadata,
 * Discord by the nonce it sends with `enforce_nonce` — so the channel holds one message. Real HTTP server,
 * SQLite outbox, Bolt's Web API client and discord.js REST against the fakes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDiscord, type RunningDiscord } from '../../../adapters/discord/app.js';
import { discordPlatform } from '../../../adapters/discord/index.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { startSlack, type RunningSlack } from '../../../adapters/slack/app.js';
import { slackPlatform } from '../../../adapters/slack/index.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { openOutboxQueue } from '../../../src/queue/outbox.js';
import { openSqliteDb } from '../../../src/queue/sqlite-db.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { sha256 } from '../../../src/util/hash.js';
import { startFakeDiscord, type FakeChannel, type FakeDiscord } from '../../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { tmpDir } from '../../support/tmp.js';

let model: FakeOpenAI;
let slack: FakeSlack;
let discord: FakeDiscord;
let general: FakeChannel;
let ctx: AppContext;
let queue: JobQueue;
let http: HttpServer;
let runningSlack: RunningSlack;
let runningDiscord: RunningDiscord;
let base: string;

beforeAll(async () => {
  model = await startFakeOpenAI({ responder: (b) => String(b.messages[1].content).toUpperCase() });
  slack = await startFakeSlack();
  discord = await startFakeDiscord();
  general = await discord.addChannel(discord.addGuild({ name: 'Acme' }).id, { name: 'general' });
  const dir = tmpDir('post-once');
  const settings = settingsFrom(
    { styles: { loud: { model: 'loud-1' } }, channels: { 'slack:CGENERAL': 'loud', [`discord:${general.id}`]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    {
      OPENAI_API_KEY: 'sk-once',
      OPENAI_BASE_URL: model.url,
      RESTYLE_DATA_DIR: dir,
      SLACK_BOT_TOKEN: 'xoxb-once-0123456789',
      SLACK_SIGNING_SECRET: 'once-secret',
      SLACK_API_URL: slack.url,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.url,
    },
    dir,
  );
  queue = await openOutboxQueue({ path: join(dir, 'restyle.sqlite'), policy: { backoffMs: 100, maxBackoffMs: 1_000, attempts: 6 }, pollMs: 20 });
  ctx = await createContext(settings, { logger: silentLogger(), registry: 'off', queue });
  http = createHttpServer({ ctx });
  runningSlack = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  http.addPoster('slack', runningSlack.post.bind(runningSlack), slackPlatform.checkPost);
  runningDiscord = await startDiscord({ ctx, clientOptions: { rest: { retries: 0 } } });
  http.addPoster('discord', runningDiscord.post.bind(runningDiscord), discordPlatform.checkPost);
  await queue.start();
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await http?.close();
  await queue?.close(0);
  await runningDiscord?.stop();
  await runningSlack?.stop();
  await ctx?.close();
  await discord?.close();
  await slack?.close();
  await model?.close();
});

async function post(body: unknown, key: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/v1/post`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** As a SIGKILL after the platform's answer and before `job.save` leaves the job: waiting again, nothing recorded. */
async function crashBeforeSave(key: string): Promise<string> {
  const id = `http.post:${sha256(key)}`;
  // The answer can go out before the job's bookkeeping is over: rewind only a finished job, not race it.
  await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
  const db = await openSqliteDb(queue.location, 5_000);
  expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL, state = '{}' WHERE id = ?`, id)).changes).toBe(1);
  await db.close();
  return id;
}

describe('a /v1/post job run again after it posted but before it recorded the id', () => {
  it('Slack: finds its message by the job id in the metadata and posts nothing more', async () => {
    const first = await post({ channel: 'slack:CGENERAL', text: 'tagged once' }, 'once-slack');
    const [sent] = slack.callsTo('chat.postMessage').filter((c) => c.args.text === 'TAGGED ONCE');
    const id = `http.post:${sha256('once-slack')}`;
    expect(sent!.args.metadata).toMatchObject({ event_type: 'restyle_reply', event_payload: { style: 'loud', job: id } });
    const calls = slack.callsTo('chat.postMessage').length;

    await crashBeforeSave('once-slack');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
    const rerun = await queue.outcome(id);
    expect(rerun.state.response).toMatchObject({ id: first.id, ids: [first.id] });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(calls);
    expect(slack.messages('CGENERAL').filter((m) => m.text === 'TAGGED ONCE')).toHaveLength(1);
    expect(slack.callsTo('conversations.history').at(-1)!.args).toMatchObject({ channel: 'CGENERAL', include_all_metadata: 'true' });
  });

  it('Slack, in a thread: looks in the thread (conversations.replies) and posts nothing more', async () => {
    const parent = await post({ channel: 'slack:CGENERAL', text: 'parent' }, 'once-parent');
    const first = await post({ channel: 'slack:CGENERAL', text: 'in the thread once', thread: parent.id }, 'once-thread');
    const id = await crashBeforeSave('once-thread');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
    expect((await queue.outcome(id)).state.response).toMatchObject({ id: first.id });
    expect(slack.messages('CGENERAL').filter((m) => m.text === 'IN THE THREAD ONCE')).toHaveLength(1);
    expect(slack.callsTo('conversations.replies').at(-1)!.args).toMatchObject({ channel: 'CGENERAL', ts: parent.id, include_all_metadata: 'true' });
  });

  it('Discord: sends the same nonce with enforce_nonce, gets the message it made, and the channel holds one', async () => {
    const first = await post({ channel: `discord:${general.id}`, text: 'nonce once' }, 'once-discord');
    const id = await crashBeforeSave('once-discord');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
    expect((await queue.outcome(id)).state.response).toMatchObject({ id: first.id });
    const creates = discord.requestsTo('POST', new RegExp(`^/channels/${general.id}/messages$`)).filter((r) => r.body?.content === 'NONCE ONCE');
    expect(creates).toHaveLength(2);
    expect(creates[1]!.body).toMatchObject({ nonce: creates[0]!.body.nonce, enforce_nonce: true });
    expect(discord.posted(general.id).filter((m) => m.content === 'NONCE ONCE')).toHaveLength(1);
  });
});
