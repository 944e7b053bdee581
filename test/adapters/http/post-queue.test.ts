/**
 * `POST /v1/post` with a durable queue (record before acknowledging), on both engines: the real HTTP server
 * and Bolt's Web API client against the fake Slack, the style model behind the fake OpenAI endpoint.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { slackPlatform } from '../../../adapters/slack/index.js';
import { startSlack, type RunningSlack } from '../../../adapters/slack/app.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { openSqliteDb } from '../../../src/queue/sqlite-db.js';
import { sha256 } from '../../../src/util/hash.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { openTestQueue } from '../../support/queue.js';
import { tmpDir } from '../../support/tmp.js';

type Kind = 'sqlite' | 'redis';
const POLICY = { backoffMs: 100, maxBackoffMs: 1_000, attempts: 6 };

interface Rig {
  ctx: AppContext;
  queue: JobQueue;
  slack: FakeSlack;
  base: string;
  close(): Promise<void>;
}
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function rig(kind: Kind): Promise<Rig> {
  const model: FakeOpenAI = await startFakeOpenAI({ responder: (b) => String(b.messages[1].content).toUpperCase() });
  const slack = await startFakeSlack();
  const dir = tmpDir('post-queue');
  const settings = settingsFrom(
    { styles: { loud: { model: 'loud-1' } }, channels: { 'slack:CGENERAL': 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    { OPENAI_API_KEY: 'sk-q', OPENAI_BASE_URL: model.url, RESTYLE_DATA_DIR: dir, SLACK_BOT_TOKEN: 'xoxb-queue-0123456789', SLACK_SIGNING_SECRET: 'queue-secret', SLACK_API_URL: slack.url },
    dir,
  );
  // The outbox shares the store's SQLite file, as `restyle bot` runs it.
  const queue = await openTestQueue(kind, POLICY, dir);
  const ctx = await createContext(settings, { logger: silentLogger(), registry: 'off', queue });
  const http: HttpServer = createHttpServer({ ctx });
  const running: RunningSlack = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  http.addPoster('slack', running.post.bind(running), slackPlatform.checkPost);
  await queue.start();
  const base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  const r: Rig = {
    ctx,
    queue,
    slack,
    base,
    async close() {
      await http.close();
      await queue.close(0);
      await running.stop();
      await ctx.close();
      await slack.close();
      await model.close();
    },
  };
  rigs.push(r);
  return r;
}

async function post(r: Rig, body: unknown, key?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${r.base}/v1/post`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const posts = (r: Rig, text: string) => r.slack.messages('CGENERAL').filter((m) => m.text.includes(text));

describe.each<Kind>(['sqlite', 'redis'])('POST /v1/post through the %s queue', (kind) => {
  it('posts once and answers with the message id; the same Idempotency-Key posts nothing more', async () => {
    const r = await rig(kind);
    const first = await post(r, { channel: 'slack:CGENERAL', text: 'hello queue' }, 'key-1');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ ok: true, text: 'HELLO QUEUE', styled: true });
    const again = await post(r, { channel: 'slack:CGENERAL', text: 'hello queue' }, 'key-1');
    expect(again.json.id).toBe(first.json.id);
    expect(posts(r, 'HELLO QUEUE')).toHaveLength(1);
    // Answered once the post was kept; the job is marked done right after its bookkeeping.
    await vi.waitFor(async () => expect((await r.queue.outcome(`http.post:${sha256('key-1')}`)).status).toBe('done'));
  });

  it('retries while Slack answers 503, after the Retry-After of a 429, and posts once when it is back', async () => {
    const r = await rig(kind);
    r.slack.failNext('chat.postMessage', { status: 503 }, 2);
    r.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    const res = await post(r, { channel: 'slack:CGENERAL', text: 'through the outage' }, 'key-2');
    expect(res.status).toBe(200);
    expect(posts(r, 'THROUGH THE OUTAGE')).toHaveLength(1);
    expect(r.slack.callsTo('chat.postMessage').length).toBe(4);
  });

  it('a channel the bot is not in fails once with Slack\'s error, lands in the failed set, and is not retried', async () => {
    const r = await rig(kind);
    r.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 10);
    const res = await post(r, { channel: 'slack:CGENERAL', text: 'nobody hears' }, 'key-3');
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.json)).toContain('not_in_channel');
    expect(r.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const failed = await r.queue.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toContain('not_in_channel');
  });

  it('after a failed post its key is free again: the retry (the bot invited in the meantime) runs and posts once', async () => {
    const r = await rig(kind);
    r.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 1);
    const failed = await post(r, { channel: 'slack:CGENERAL', text: 'second time lucky' }, 'key-4');
    expect(failed.status).toBe(422);
    const retried = await post(r, { channel: 'slack:CGENERAL', text: 'second time lucky' }, 'key-4');
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ ok: true, text: 'SECOND TIME LUCKY' });
    expect(posts(r, 'SECOND TIME LUCKY')).toHaveLength(1);
    // Done now: a third request with the key is the stored answer, and posts nothing more.
    const replay = await post(r, { channel: 'slack:CGENERAL', text: 'second time lucky' }, 'key-4');
    expect(replay.json.id).toBe(retried.json.id);
    expect(posts(r, 'SECOND TIME LUCKY')).toHaveLength(1);
  });

  it('a lone surrogate in the text reaches Slack as U+FFFD, not merged with the character after it', async () => {
    const r = await rig(kind);
    const res = await post(r, { channel: 'slack:CGENERAL', text: 'lone \ud800 end' }, 'key-6');
    expect(res.status).toBe(200);
    expect(r.slack.messages('CGENERAL').map((m) => m.text)).toContain('LONE \ufffd END');
  });

  it('a malformed thread is a 400 at once, and records no job', async () => {
    const r = await rig(kind);
    const res = await post(r, { channel: 'slack:CGENERAL', text: 'in a thread', thread: 'notats' }, 'key-5');
    expect(res.status).toBe(400);
    expect(await r.queue.outcome(`http.post:${sha256('key-5')}`)).toMatchObject({ status: 'unknown' });
    expect(r.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers 503 "cannot take the post now" when the queue cannot be written, and posts nothing', async () => {
    const r = await rig(kind);
    await r.queue.close(0);
    const res = await post(r, { channel: 'slack:CGENERAL', text: 'not kept' }, 'key-4');
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.json)).toMatch(/cannot take the post now/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(posts(r, 'NOT KEPT')).toHaveLength(0);
  });
});

describe('the durable post job', () => {
  it('run again after the message was posted (a crash before "done"), finds the recorded id and posts nothing', async () => {
    const r = await rig('sqlite');
    const first = await post(r, { channel: 'slack:CGENERAL', text: 'once only' }, 'key-5');
    expect(first.status).toBe(200);
    const calls = r.slack.callsTo('chat.postMessage').length;
    // As a process killed between recording the post and marking the job done leaves it.
    const db = await openSqliteDb(r.queue.location, 5_000);
    const id = `http.post:${sha256('key-5')}`;
    expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL WHERE id = ?`, id)).changes).toBe(1);
    await db.close();
    await vi.waitFor(async () => expect((await r.queue.outcome(id)).status).toBe('done'));
    expect(r.slack.callsTo('chat.postMessage')).toHaveLength(calls);
    expect(posts(r, 'ONCE ONLY')).toHaveLength(1);
  });
});
