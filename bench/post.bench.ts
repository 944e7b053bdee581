/**
 * `POST /v1/post` (the relay API) as `restyle bot` runs it: every request is recorded as a job in the
 * durable queue before anything is posted, and answered with the job's result — on both engines, the SQLite
 * outbox (the default) and BullMQ on Redis (with REDIS_URL), each with its own store. Through the real HTTP
 * server and the real Slack platform, the style model answering after 50 ms.
 *
 * Per engine: 1,000 posts at once, each with its own Idempotency-Key; one client in five sends its request
 * again with the same key: half of them while the first request still runs (the moment the model answers
 * it: a client timing out), half after they got the answer (a lost response). Every post must land in the
 * fake Slack exactly once. Then the cost of one request: 1,000 posts with 8 in flight.
 *
 * The route's overhead is the request latency minus the model's 50 ms, against a baseline measured in the
 * same run: the same calls made straight to the fake model with the openai SDK (paced: in rounds of 40
 * alternating with the posts', so both see the same machine). The bot is the real `restyle bot` in a
 * process of its own (./bot-process.ts); the fakes and the clients share this one, as Slack, the model and
 * the callers are other machines in production. Both processes share the machine's cores, so the burst
 * figures are mostly queueing for the CPU.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeBody, type FakeOpenAI } from '../test/fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack.js';
import { findRedisServer, launchRedis } from '../test/support/redis-server.js';
import { startBot } from './bot-process.js';
import { percentile, type BenchResult } from './types.js';

const MODEL_MS = 50;
const POSTS = 1_000;
/** Clients `i % 10 === 0` retry while their request runs, `i % 10 === 5` after their answer. */
const RETRY_WHILE_RUNNING = 0;
const RETRY_AFTER_ANSWER = 5;
/** A client's retry of a request still running (409), or not taken now (503), comes back after this long. */
const BACKOFF_MS = 20;
/** Answers that tell a client to send the request again with its key. */
const AGAIN = new Set([409, 503]);
const WARMUP = 50;
/** The second run: this many requests in flight, few enough that nothing waits for the CPU. */
const IN_FLIGHT = 8;
/** Requests per round of the paced run (SDK and /v1/post rounds alternate). */
const ROUND = 40;
/** Issue 18: what `/v1/post` may add to a request at p50, 8 in flight (its latency minus the SDK's). */
const ADDED_GOAL_MS = 10;
const PROMPT = 'Please, rewrite the provided text in your style:';

const textOf = (i: number): string => `Release ${i} is out; the notes are in the usual place.`;
const indexOf = (text: string): number => Number(/^release (\d+) is out/i.exec(text)?.[1] ?? NaN);

type Engine = 'sqlite' | 'redis';
const ENGINES: Record<Engine, string> = { sqlite: 'SQLite outbox', redis: 'BullMQ on Redis' };

interface Answer {
  status: number;
  ms: number;
  replayed: boolean;
  id?: string;
  code?: string;
}

interface Fakes {
  model: FakeOpenAI;
  slack: FakeSlack;
  redisUrl: string;
  dir: string;
  /** The model call alone, through the openai SDK; its latency in ms. */
  direct(text: string): Promise<number>;
}

/** `restyle bot` in its own process for one engine: HTTP API, Slack, and the queue that runs /v1/post. */
export async function startServer(engine: Engine, fakes: Fakes) {
  const channelOf = (name: 'BURST' | 'PACED' | 'WARM'): string => `C${engine.toUpperCase()}${name}`;
  const channels = Object.fromEntries((['BURST', 'PACED', 'WARM'] as const).map((c) => [`slack:${channelOf(c)}`, 'house']));
  const dir = join(fakes.dir, engine);
  mkdirSync(dir, { recursive: true });
  const bot = await startBot(
    dir,
    {
      styles: { house: { model: 'house-1', prompt: PROMPT } },
      channels,
      // The pool must not queue what the baseline sends at once, or we would measure our limiter.
      llm: { concurrency: POSTS * 2 },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      // One caller sending every post: the per-caller /v1 limit is not what is measured here.
      rateLimits: { api: { points: 0 } },
    },
    {
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: fakes.model.url,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_API_URL: fakes.slack.url,
      ...(engine === 'redis' ? { REDIS_URL: fakes.redisUrl } : {}),
    },
  );
  const url = `${bot.base}/v1/post`;
  return {
    channel: channelOf,
    async send(channel: string, text: string, key: string): Promise<Answer> {
      const t0 = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ channel: `slack:${channel}`, text }) });
      const body = (await res.json()) as { id?: string; error?: { code: string } };
      return { status: res.status, ms: performance.now() - t0, replayed: res.headers.get('idempotent-replayed') === 'true', ...(body.id ? { id: body.id } : {}), ...(body.error ? { code: body.error.code } : {}) };
    },
    close: () => bot.stop(),
  };
}
type Server = Awaited<ReturnType<typeof startServer>>;

/** `n` jobs, `width` at a time; their results in order. */
export async function paced<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

/** 1,000 posts at once with their own keys, and the clients retrying with theirs; every answer per key. */
async function burst(server: Server, fakes: Fakes): Promise<{ answers: Answer[][]; retried: number; ms: number }> {
  const channel = server.channel('BURST');
  const keys = Array.from({ length: POSTS }, () => randomUUID());
  const retries = new Map<number, Promise<Answer[]>>();
  /** A client sending its request again with the same key, and again after each 409 or 503, until it has an answer. */
  const retry = async (i: number): Promise<Answer[]> => {
    const attempts: Answer[] = [];
    for (;;) {
      const answer = await server.send(channel, textOf(i), keys[i]!);
      attempts.push(answer);
      if (!AGAIN.has(answer.status) || attempts.length > 500) return attempts;
      await new Promise((r) => setTimeout(r, BACKOFF_MS));
    }
  };
  // The style upper-cases; the moment the model answers client i's request is when that client gives up
  // waiting and sends it again.
  fakes.model.setResponder((body: FakeBody) => {
    const text = String(body.messages[1].content);
    const i = indexOf(text);
    if (i % 10 === RETRY_WHILE_RUNNING && !retries.has(i)) retries.set(i, retry(i));
    return text.toUpperCase();
  });
  const t0 = performance.now();
  const firsts = await Promise.all(
    keys.map(async (key, i) => {
      const first = await server.send(channel, textOf(i), key);
      if ((i % 10 === RETRY_AFTER_ANSWER || first.status === 503) && !retries.has(i)) retries.set(i, retry(i));
      return first;
    }),
  );
  const retried = new Map(await Promise.all([...retries].map(async ([i, p]) => [i, await p] as const)));
  const ms = performance.now() - t0;
  fakes.model.setResponder((body: FakeBody) => String(body.messages[1].content).toUpperCase());
  return { answers: keys.map((_, i) => [firsts[i]!, ...(retried.get(i) ?? [])]), retried: retried.size, ms };
}

/** What Slack got in a channel, by the index in the text. */
function landed(slack: FakeSlack, channel: string): Map<number, number> {
  const perKey = new Map<number, number>();
  for (const m of slack.messages(channel)) perKey.set(indexOf(m.text), (perKey.get(indexOf(m.text)) ?? 0) + 1);
  return perKey;
}

async function measure(engine: Engine, fakes: Fakes, baseline: { ms: number[]; totalMs: number }): Promise<BenchResult[]> {
  const server = await startServer(engine, fakes);
  const label = ENGINES[engine];
  try {
    // Warm up (JIT, connection pools, the queue's tables); not measured.
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => server.send(server.channel('WARM'), `warm-up ${i}`, randomUUID())));
    const load0 = loadavg()[0]!;
    const b = await burst(server, fakes);
    // The cost of one request: a few in flight, new keys, against the same for the SDK, in alternating
    // rounds so both see the same machine (it is shared: its load comes and goes within seconds).
    const pacedBase: number[] = [];
    const pacedPosts: Answer[] = [];
    for (let from = 0; from < POSTS; from += ROUND) {
      pacedBase.push(...(await paced(ROUND, IN_FLIGHT, (i) => fakes.direct(textOf(from + i)))));
      pacedPosts.push(...(await paced(ROUND, IN_FLIGHT, (i) => server.send(server.channel('PACED'), textOf(from + i), randomUUID()))));
    }
    const load1 = loadavg()[0]!;

    const inBurst = landed(fakes.slack, server.channel('BURST'));
    const inPaced = landed(fakes.slack, server.channel('PACED'));
    // Lost: not in Slack, or no request for the key was ever answered 200.
    const lost = b.answers.filter((list, i) => !inBurst.has(i) || !list.some((a) => a.status === 200)).length + (POSTS - inPaced.size);
    const duplicated = [...inBurst.values(), ...inPaced.values()].reduce((n, c) => n + c - 1, 0);
    // Every 200 for a key names the same message, and exactly one of them ran the post.
    const inconsistent = b.answers.filter((list) => {
      const ok = list.filter((a) => a.status === 200);
      return new Set(ok.map((a) => a.id)).size !== 1 || ok.filter((a) => !a.replayed).length !== 1;
    }).length;
    const unexpected = [...b.answers.flat().filter((a) => a.status !== 200 && !AGAIN.has(a.status)), ...pacedPosts.filter((a) => a.status !== 200)];
    const busy = b.answers.flat().filter((a) => a.status === 409).length;
    const refused = b.answers.flat().filter((a) => a.status === 503).length;
    const replays = b.answers.flat().filter((a) => a.replayed).length;

    // Latency of the requests that ran a post (not the 409s, not the replays).
    const over = b.answers.flat().filter((a) => a.status === 200 && !a.replayed).map((a) => a.ms - MODEL_MS);
    const baseOver = baseline.ms.map((ms) => ms - MODEL_MS);
    const [p50, p99, b50, b99] = [percentile(over, 50), percentile(over, 99), percentile(baseOver, 50), percentile(baseOver, 99)];
    const pacedOver = pacedPosts.map((a) => a.ms - MODEL_MS);
    const pacedBaseOver = pacedBase.map((ms) => ms - MODEL_MS);
    const [q50, q99, c50, c99] = [percentile(pacedOver, 50), percentile(pacedOver, 99), percentile(pacedBaseOver, 50), percentile(pacedBaseOver, 99)];
    // Per round, what the posts' p50 added to the SDK's in the round just before; the median of those.
    const perRound = Array.from({ length: Math.ceil(POSTS / ROUND) }, (_, r) => {
      const slice = (xs: readonly number[]): number => percentile(xs.slice(r * ROUND, (r + 1) * ROUND), 50);
      return slice(pacedPosts.map((a) => a.ms)) - slice(pacedBase);
    });
    const roundAdded = percentile(perRound, 50);
    const throughput = (POSTS / b.ms) * 1000;
    const baseThroughput = (POSTS / baseline.totalMs) * 1000;
    return [
      {
        name: `${label}: ${POSTS} posts at once with their own Idempotency-Keys: lost`,
        value: lost,
        unit: 'count',
        goal: '0',
        ok: lost === 0 && unexpected.length === 0,
        note: `${fakes.slack.messages(server.channel('BURST')).length} messages in the fake Slack, and ${fakes.slack.messages(server.channel('PACED')).length} from ${POSTS} paced posts${unexpected.length ? `; unexpected answers: ${[...new Set(unexpected.map((a) => `${a.status} ${a.code ?? ''}`))].join(', ')}` : ''}`,
      },
      {
        name: `… duplicated (${b.retried} clients sent their request again with its key)`,
        value: duplicated,
        unit: 'count',
        goal: '0',
        ok: duplicated === 0 && inconsistent === 0,
        note: `${busy} × 409 and ${refused} × 503 "cannot take the post now" (sent again after ${BACKOFF_MS} ms), ${replays} answers replayed; every key's answers name one message${inconsistent ? `, except ${inconsistent} keys'` : ''}`,
      },
      {
        name: `… added by /v1/post at p50, ${IN_FLIGHT} in flight (its overhead − the SDK's)`,
        value: q50 - c50,
        unit: 'ms',
        goal: `≤${ADDED_GOAL_MS} ms`,
        ok: q50 - c50 <= ADDED_GOAL_MS,
        note: `overhead (latency − ${MODEL_MS} ms model) p50 ${q50.toFixed(1)} ms vs the openai SDK straight to the model ${c50.toFixed(1)} ms; load average ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
      },
      {
        name: `… the same, per round of ${ROUND} against the SDK's round just before: median of ${perRound.length}`,
        value: roundAdded,
        unit: 'ms',
        note: `rounds from ${Math.min(...perRound).toFixed(1)} to ${Math.max(...perRound).toFixed(1)} ms: the load of the shared machine comes and goes`,
      },
      { name: `… overhead p99, ${IN_FLIGHT} in flight`, value: q99, unit: 'ms', note: `baseline ${c99.toFixed(1)} ms` },
      { name: `… latency vs the SDK, p50, ${IN_FLIGHT} in flight`, value: (q50 + MODEL_MS) / (c50 + MODEL_MS), unit: '×', note: `${(q50 + MODEL_MS).toFixed(1)} vs ${(c50 + MODEL_MS).toFixed(1)} ms` },
      { name: `… overhead p50, ${POSTS} at once`, value: p50, unit: 'ms', note: `baseline (the SDK, ${POSTS} at once) ${b50.toFixed(1)} ms` },
      { name: `… overhead p99, ${POSTS} at once`, value: p99, unit: 'ms', note: `baseline ${b99.toFixed(1)} ms` },
      {
        name: '… throughput vs the SDK straight to the model',
        value: throughput / baseThroughput,
        unit: '×',
        note: `${throughput.toFixed(0)} posts/s (${POSTS} in ${(b.ms / 1000).toFixed(2)} s, ${b.answers.flat().length} requests with the retries) vs ${baseThroughput.toFixed(0)} model calls/s; the bot's process and this one (fakes, clients) share the machine's cores`,
      },
    ];
  } finally {
    await server.close();
  }
}

export default async function postBench(): Promise<BenchResult[]> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found: install it to run the /v1/post bench');
  const redis = await launchRedis(bin);
  const model = await startFakeOpenAI({ latencyMs: MODEL_MS });
  const slack = await startFakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-post-'));
  const sdk = new OpenAI({ baseURL: model.url, apiKey: 'sk-bench', maxRetries: 0 });
  const direct = async (text: string): Promise<number> => {
    const t0 = performance.now();
    await sdk.chat.completions.create({ model: 'house-1', messages: [{ role: 'system', content: PROMPT }, { role: 'user', content: text }], temperature: 0.7 });
    return performance.now() - t0;
  };
  const fakes: Fakes = { model, slack, redisUrl: redis.url, dir, direct };
  model.setResponder((body: FakeBody) => String(body.messages[1].content).toUpperCase());
  try {
    // Baseline for the bursts: the same 1,000 model calls, all at once, straight to the fake model.
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => direct(`warm-up ${i}`)));
    const b0 = performance.now();
    const ms = await Promise.all(Array.from({ length: POSTS }, (_, i) => direct(textOf(i))));
    const baseline = { ms, totalMs: performance.now() - b0 };
    const results: BenchResult[] = [];
    for (const engine of Object.keys(ENGINES) as Engine[]) results.push(...(await measure(engine, fakes, baseline)));
    return results;
  } finally {
    await slack.close();
    await model.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
