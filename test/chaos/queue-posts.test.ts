/**
 * Chaos for `POST /v1/post` through the durable queue, with real `restyle bot` processes:
 * - 1,000 posts with an Idempotency-Key while the bot is SIGKILLed and restarted (SQLite): every key posted
 *   once — a job killed between Slack accepting its post and recording the ts finds the post by its job id
 *   (message metadata) when it runs again (adapters/slack/job-posts.ts).
 * - three bot processes sharing one redis-server, one SIGKILLed mid-run under 500 posts: 0 lost, 0 duplicated.
 * - the Slack Web API down for SLACK_DOWN_MS (5 s here, where the issue says 30 s: the code path is the same,
 *   the retries just wait less): every post is retried and delivered afterwards, none twice.
 * The client retries a request whose connection broke (its process died) with the same key, as a client of
 * an idempotent API does; counts are asserted, times are printed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { killAllBots, slackChaosEnv, startBot, waitDrained, writeConfig, type BotProcess } from './bot-process.js';

const CHANNEL = 'CGENERAL';
const SLACK_DOWN_MS = 5_000;
const CONCURRENCY = 32;

let model: FakeOpenAI;
let slack: FakeSlack;
beforeEach(async () => {
  model = await startFakeOpenAI();
  slack = await startFakeSlack();
});
afterEach(async () => {
  killAllBots();
  await model.close();
  await slack.close();
});

function env(cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  // One caller sending 1,000 posts: the per-caller /v1 limit (rateLimits.api) is not what is measured here.
  writeConfig(cwd, { queue: { leaseMs: 5_000, concurrency: CONCURRENCY, backoffMs: 200 }, rateLimits: { api: { points: 0 } } });
  return { ...slackChaosEnv(cwd, model, slack, 'chaos-secret'), ...extra };
}

/** POST until the API takes it (200 posted, 202 queued, 409 the key's first request still runs); retry broken connections. */
async function postUntilTaken(bases: () => string[], key: string, i: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const list = bases();
    const base = list[(i + attempt) % list.length]!;
    try {
      const res = await fetch(`${base}/v1/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ channel: `slack:${CHANNEL}`, text: `post ${key}` }),
      });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 202 || res.status === 409) return res.status;
      if (res.status !== 503) throw new Error(`${key}: HTTP ${res.status}`);
    } catch (error) {
      if ((error as Error).message.startsWith(`${key}:`)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client's own backoff
  }
}

function tally(keys: string[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const m of slack.messages(CHANNEL)) counts.set(m.text, (counts.get(m.text) ?? 0) + 1);
  const n = keys.map((k) => counts.get(`post ${k}`) ?? 0);
  return { lost: n.filter((c) => c === 0).length, duplicated: n.filter((c) => c > 1).length };
}

/** Jobs run again that looked for their own earlier post (conversations.history with metadata). */
const lookups = (): number => slack.callsTo('conversations.history').filter((c) => String(c.args.include_all_metadata) === 'true').length;

async function drained(bot: BotProcess): Promise<void> {
  await waitDrained(bot, 60_000);
}

async function inBatches(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

describe('chaos: POST /v1/post through the durable queue', () => {
  it('1,000 posts with Idempotency-Key while the bot is SIGKILLed and restarted: every key posted once (SQLite)', { timeout: 180_000 }, async () => {
    const cwd = tmpDir('posts-kill');
    const e = env(cwd);
    let bot = await startBot(cwd, e);
    const keys = Array.from({ length: 1000 }, (_, i) => `k-${i}`);
    let restarted = false;
    const killer = vi.waitFor(() => expect(slack.messages(CHANNEL).length).toBeGreaterThanOrEqual(300), { timeout: 120_000, interval: 10 }).then(async () => {
      await bot.kill();
      bot = await startBot(cwd, e);
      restarted = true;
    });
    await inBatches(keys.length, 40, (i) => postUntilTaken(() => [bot.base], keys[i]!, i));
    await killer;
    expect(restarted).toBe(true);
    await vi.waitFor(() => expect(tally(keys).lost).toBe(0), { timeout: 60_000, interval: 200 });
    await drained(bot);
    const t = tally(keys);
    console.log(`chaos queue-posts (sqlite): 1000 posts, bot SIGKILLed after 300 and restarted; ${1000 - t.lost} posted, ${t.lost} lost, ${t.duplicated} duplicated; ${lookups()} rerun lookups`);
    expect(t).toEqual({ lost: 0, duplicated: 0 });
  });

  it('three processes share Redis; one SIGKILLed mid-run under 500 posts: 0 lost, 0 duplicated', { timeout: 180_000 }, async () => {
    const redis = await startRedis();
    const cwd = tmpDir('posts-redis');
    const e = env(cwd, { REDIS_URL: redis.url });
    const bots = [await startBot(cwd, e), await startBot(cwd, e), await startBot(cwd, e)];
    const alive = new Set(bots);
    const keys = Array.from({ length: 500 }, (_, i) => `r-${i}`);
    const killer = vi.waitFor(() => expect(slack.messages(CHANNEL).length).toBeGreaterThanOrEqual(150), { timeout: 120_000, interval: 10 }).then(async () => {
      alive.delete(bots[0]!);
      await bots[0]!.kill();
    });
    await inBatches(keys.length, 30, (i) => postUntilTaken(() => [...alive].map((b) => b.base), keys[i]!, i));
    await killer;
    await vi.waitFor(() => expect(tally(keys).lost).toBe(0), { timeout: 60_000, interval: 200 });
    await drained(bots[1]!);
    const t = tally(keys);
    console.log(`chaos queue-posts (redis, 3 processes): 500 posts, one process SIGKILLed after 150; ${500 - t.lost} posted, ${t.lost} lost, ${t.duplicated} duplicated; ${lookups()} rerun lookups`);
    expect(t).toEqual({ lost: 0, duplicated: 0 });
  });

  it(`the Slack Web API down for ${SLACK_DOWN_MS} ms: posts are retried and delivered afterwards, none twice`, { timeout: 120_000 }, async () => {
    const cwd = tmpDir('posts-down');
    const bot = await startBot(cwd, env(cwd));
    slack.failNext('chat.postMessage', { status: 503 }, 1_000_000);
    const downAt = Date.now();
    const keys = Array.from({ length: 20 }, (_, i) => `d-${i}`);
    const statuses = Promise.all(keys.map((k, i) => postUntilTaken(() => [bot.base], k, i)));
    await vi.waitFor(() => expect(slack.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(keys.length), { timeout: 30_000, interval: 50 });
    await vi.waitFor(() => expect(Date.now() - downAt).toBeGreaterThanOrEqual(SLACK_DOWN_MS), { timeout: SLACK_DOWN_MS * 3, interval: 100 });
    slack.clearFailures();
    const upAt = Date.now();
    await statuses;
    await vi.waitFor(() => expect(tally(keys).lost).toBe(0), { timeout: 60_000, interval: 100 });
    await drained(bot);
    const t = tally(keys);
    const refused = slack.callsTo('chat.postMessage').length - keys.length;
    console.log(`chaos queue-posts (Slack down ${SLACK_DOWN_MS} ms): ${keys.length} posts, ${refused} refused attempts retried; all delivered ${Date.now() - upAt} ms after Slack was back; ${t.lost} lost, ${t.duplicated} duplicated`);
    expect(t).toEqual({ lost: 0, duplicated: 0 });
  });
});
