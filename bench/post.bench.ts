/**
 * `POST /v1/post` (the relay API): 1,000 posts at once, each with its own Idempotency-Key, through the real
 * HTTP server and the real Slack platform with the Redis store, the style model answering after 50 ms.
 * One client in five sends its request again with the same key: half of them while the first request still
 * runs (the moment the model answers it: a client timing out), half after they got the answer (a lost
 * response). Every post must land in the fake Slack exactly once.
 *
 * The route's overhead is the request latency minus the model's 50 ms, against a baseline measured in the
 * same run: the same 1,000 calls made straight to the fake model with the openai SDK. Everything (fakes,
 * clients, server) shares this one process, so the burst figures are mostly queueing for the CPU; a second
 * run with a few requests in flight shows the cost of one request.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createHttpServer } from '../adapters/http/server.js';
import { startSlack } from '../adapters/slack/app.js';
import { createContext } from '../src/app.js';
import { settingsFrom } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { openStore } from '../src/store/index.js';
import { startFakeOpenAI, type FakeBody } from '../test/fakes/openai.js';
import { startFakeSlack } from '../test/fakes/slack.js';
import { findRedisServer, launchRedis } from '../test/support/redis-server.js';
import { percentile, type BenchResult } from './types.js';

const MODEL_MS = 50;
const POSTS = 1_000;
/** Clients `i % 10 === 0` retry while their request runs, `i % 10 === 5` after their answer. */
const RETRY_WHILE_RUNNING = 0;
const RETRY_AFTER_ANSWER = 5;
/** A client's retry of a request still running (409) comes back after this long. */
const BACKOFF_MS = 20;
const WARMUP = 50;
/** The second run: this many requests in flight, few enough that nothing waits for the CPU. */
const IN_FLIGHT = 8;
const PROMPT = 'Please, rewrite the provided text in your style:';

const textOf = (i: number): string => `Release ${i} is out; the notes are in the usual place.`;
const indexOf = (text: string): number => Number(/^release (\d+) is out/i.exec(text)?.[1] ?? NaN);

interface Answer {
  status: number;
  ms: number;
  replayed: boolean;
  id?: string;
  code?: string;
}

export default async function postBench(): Promise<BenchResult[]> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found: install it to run the /v1/post bench');
  const redis = await launchRedis(bin);
  const model = await startFakeOpenAI({ latencyMs: MODEL_MS });
  const slack = await startFakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-post-'));
  const store = await openStore({ redisUrl: redis.url, dataDir: dir, sqlitePath: join(dir, 'unused.sqlite'), connectTimeoutMs: 2000 });
  const settings = settingsFrom(
    {
      styles: { house: { model: 'house-1', prompt: PROMPT } },
      channels: { 'slack:CBURST': 'house', 'slack:CPACED': 'house', 'slack:CWARM': 'house' },
      // The pool must not queue what the baseline sends at once, or we would measure our limiter.
      llm: { concurrency: POSTS * 2 },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
    },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: model.url, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: 'bench-signing-secret', SLACK_API_URL: slack.url },
  );
  const ctx = await createContext(settings, { store, logger: silentLogger(), registry: 'off' });
  const http = createHttpServer({ ctx });
  const running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  http.addPoster('slack', running.post.bind(running));
  const url = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}/v1/post`;
  const sdk = new OpenAI({ baseURL: model.url, apiKey: 'sk-bench', maxRetries: 0 });

  const send = async (channel: string, text: string, key: string): Promise<Answer> => {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ channel, text }) });
    const body = (await res.json()) as { id?: string; error?: { code: string } };
    return { status: res.status, ms: performance.now() - t0, replayed: res.headers.get('idempotent-replayed') === 'true', ...(body.id ? { id: body.id } : {}), ...(body.error ? { code: body.error.code } : {}) };
  };
  /** A client sending its request again with the same key, and again after each 409, until it has an answer. */
  const retry = async (text: string, key: string): Promise<Answer[]> => {
    const attempts: Answer[] = [];
    for (;;) {
      const answer = await send('slack:CBURST', text, key);
      attempts.push(answer);
      if (answer.status !== 409 || attempts.length > 500) return attempts;
      await new Promise((r) => setTimeout(r, BACKOFF_MS));
    }
  };
  const direct = async (text: string): Promise<number> => {
    const t0 = performance.now();
    await sdk.chat.completions.create({ model: 'house-1', messages: [{ role: 'system', content: PROMPT }, { role: 'user', content: text }], temperature: 0.7 });
    return performance.now() - t0;
  };
  /** `n` jobs, `width` at a time; their results in order. */
  const paced = async <T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> => {
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
  };

  // The style upper-cases; during the burst, the moment the model answers client i's request is when
  // that client gives up waiting and sends it again.
  let onModelAnswer: ((i: number) => void) | undefined;
  model.setResponder((body: FakeBody) => {
    const text = String(body.messages[1].content);
    onModelAnswer?.(indexOf(text));
    return text.toUpperCase();
  });

  try {
    // Warm up both paths (JIT, connection pools, Redis); not measured.
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => send('slack:CWARM', `warm-up ${i}`, randomUUID())));
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => direct(`warm-up ${i}`)));

    // Baseline: the same 1,000 model calls, all at once, straight to the fake model.
    const b0 = performance.now();
    const baseline = await Promise.all(Array.from({ length: POSTS }, (_, i) => direct(textOf(i))));
    const baselineMs = performance.now() - b0;

    // The burst: 1,000 posts at once with their own keys, and the retrying clients.
    const keys = Array.from({ length: POSTS }, () => randomUUID());
    const retries = new Map<number, Promise<Answer[]>>();
    onModelAnswer = (i) => {
      if (i % 10 === RETRY_WHILE_RUNNING && !retries.has(i)) retries.set(i, retry(textOf(i), keys[i]!));
    };
    const t0 = performance.now();
    const firsts = await Promise.all(
      keys.map(async (key, i) => {
        const first = await send('slack:CBURST', textOf(i), key);
        if (i % 10 === RETRY_AFTER_ANSWER) retries.set(i, retry(textOf(i), key));
        return first;
      }),
    );
    const retried = new Map(await Promise.all([...retries].map(async ([i, p]) => [i, await p] as const)));
    const burstMs = performance.now() - t0;
    onModelAnswer = undefined;
    await running.idle();

    // The cost of one request: a few in flight, new keys, against the same for the SDK.
    const pacedBase = await paced(POSTS, IN_FLIGHT, (i) => direct(textOf(i)));
    const pacedPosts = await paced(POSTS, IN_FLIGHT, (i) => send('slack:CPACED', textOf(i), randomUUID()));

    // What Slack got, by the index in the text.
    const counts = (channel: string): Map<number, number> => {
      const perKey = new Map<number, number>();
      for (const m of slack.messages(channel)) perKey.set(indexOf(m.text), (perKey.get(indexOf(m.text)) ?? 0) + 1);
      return perKey;
    };
    const burst = counts('CBURST');
    const pacedCounts = counts('CPACED');
    const answers = keys.map((_, i) => [firsts[i]!, ...(retried.get(i) ?? [])]);
    // Lost: not in Slack, or no request for the key was ever answered 200.
    const lost = keys.filter((_, i) => !burst.has(i) || !answers[i]!.some((a) => a.status === 200)).length + (POSTS - pacedCounts.size);
    const duplicated = [...burst.values(), ...pacedCounts.values()].reduce((n, c) => n + c - 1, 0);
    // Every 200 for a key names the same message, and exactly one of them ran the post.
    const inconsistent = answers.filter((list) => {
      const ok = list.filter((a) => a.status === 200);
      return new Set(ok.map((a) => a.id)).size !== 1 || ok.filter((a) => !a.replayed).length !== 1;
    }).length;
    const all = [...answers.flat(), ...pacedPosts];
    const unexpected = all.filter((a) => a.status !== 200 && a.status !== 409);
    const busy = answers.flat().filter((a) => a.status === 409).length;
    const busyClients = [...retried.values()].filter((list) => list.some((a) => a.status === 409)).length;
    const replays = answers.flat().filter((a) => a.replayed).length;

    // Latency of the requests that ran a post (not the 409s, not the replays).
    const ran = answers.flat().filter((a) => a.status === 200 && !a.replayed);
    const over = ran.map((a) => a.ms - MODEL_MS);
    const baseOver = baseline.map((ms) => ms - MODEL_MS);
    const [p50, p99, b50, b99] = [percentile(over, 50), percentile(over, 99), percentile(baseOver, 50), percentile(baseOver, 99)];
    const pacedOver = pacedPosts.map((a) => a.ms - MODEL_MS);
    const pacedBaseOver = pacedBase.map((ms) => ms - MODEL_MS);
    const [q50, q99, c50, c99] = [percentile(pacedOver, 50), percentile(pacedOver, 99), percentile(pacedBaseOver, 50), percentile(pacedBaseOver, 99)];
    const throughput = (POSTS / burstMs) * 1000;
    const baseThroughput = (POSTS / baselineMs) * 1000;
    return [
      {
        name: `${POSTS} posts at once with their own Idempotency-Keys, Redis store: lost`,
        value: lost,
        unit: 'count',
        goal: '0',
        ok: lost === 0 && unexpected.length === 0,
        note: `${slack.messages('CBURST').length} messages in the fake Slack, and ${slack.messages('CPACED').length} from ${POSTS} paced posts${unexpected.length ? `; unexpected answers: ${[...new Set(unexpected.map((a) => `${a.status} ${a.code ?? ''}`))].join(', ')}` : ''}`,
      },
      {
        name: `… duplicated (${retried.size} clients sent their request again with its key)`,
        value: duplicated,
        unit: 'count',
        goal: '0',
        ok: duplicated === 0 && inconsistent === 0,
        note: `${busyClients} retries came while the first ran (${busy} × 409, again after ${BACKOFF_MS} ms), ${replays} answers replayed; every key's answers name one message${inconsistent ? `, except ${inconsistent} keys'` : ''}`,
      },
      { name: `overhead p50 (request latency − ${MODEL_MS} ms model), ${POSTS} at once`, value: p50, unit: 'ms', note: `baseline (openai SDK straight to the model, ${POSTS} at once) ${b50.toFixed(1)} ms` },
      { name: `overhead p99, ${POSTS} at once`, value: p99, unit: 'ms', note: `baseline ${b99.toFixed(1)} ms` },
      { name: `overhead p50, ${IN_FLIGHT} in flight`, value: q50, unit: 'ms', note: `baseline ${c50.toFixed(1)} ms` },
      { name: `overhead p99, ${IN_FLIGHT} in flight`, value: q99, unit: 'ms', note: `baseline ${c99.toFixed(1)} ms` },
      {
        name: 'throughput',
        value: throughput,
        unit: 'req/s',
        note: `${POSTS} posts in ${(burstMs / 1000).toFixed(2)} s (${answers.flat().length} requests with the retries); baseline ${baseThroughput.toFixed(0)} model calls/s`,
      },
      { name: `latency vs the SDK straight to the model, p50, ${POSTS} at once`, value: (p50 + MODEL_MS) / (b50 + MODEL_MS), unit: '×', note: `${(p50 + MODEL_MS).toFixed(1)} vs ${(b50 + MODEL_MS).toFixed(1)} ms` },
      { name: `… p99, ${POSTS} at once`, value: (p99 + MODEL_MS) / (b99 + MODEL_MS), unit: '×', note: `${(p99 + MODEL_MS).toFixed(1)} vs ${(b99 + MODEL_MS).toFixed(1)} ms` },
      { name: `… p50, ${IN_FLIGHT} in flight`, value: (q50 + MODEL_MS) / (c50 + MODEL_MS), unit: '×', note: `${(q50 + MODEL_MS).toFixed(1)} vs ${(c50 + MODEL_MS).toFixed(1)} ms` },
      { name: `… p99, ${IN_FLIGHT} in flight`, value: (q99 + MODEL_MS) / (c99 + MODEL_MS), unit: '×', note: `${(q99 + MODEL_MS).toFixed(1)} vs ${(c99 + MODEL_MS).toFixed(1)} ms` },
      { name: 'throughput vs the SDK straight to the model', value: throughput / baseThroughput, unit: '×', note: 'one process: the fakes and clients share the CPU with the server' },
    ];
  } finally {
    await http.close();
    await running.stop();
    await ctx.close();
    await store.close();
    await slack.close();
    await model.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
