/**
 * Slack (issue "Slack app"): how fast `/restyle` is acknowledged while the style model takes 10 s, against
 * the same server's /healthz as the baseline; and 1,000 ⭐ events (plus Slack retries and repeat reactions)
 * through the real receiver with the Redis store: every one handled, none twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer } from '../adapters/http/server.js';
import { startSlack } from '../adapters/slack/app.js';
import { EVENTS_PATH } from '../adapters/slack/receiver.js';
import { createContext } from '../src/app.js';
import { settingsFrom } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { SampleRepository } from '../src/samples/repository.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { commandRequest, eventRequest, sendSigned, startFakeSlack, type FakeSlack } from '../test/fakes/slack.js';
import { findRedisServer, launchRedis } from '../test/support/redis-server.js';
import { startBot } from './bot-process.js';
import { percentile, type BenchResult } from './types.js';

const SECRET = 'bench-signing-secret';
const MODEL_MS = 10_000;
const COMMANDS = 300;
/** 25 commands a second, far above what a workspace sends. */
const GAP_MS = 40;
const WARMUP = 20;

const EVENTS = 1_000;
const RETRIES = 100;
const REPEATS = 100;

async function withSlack<T>(store: Store, modelUrl: string, fn: (url: string, base: string, fake: FakeSlack, idle: () => Promise<void>) => Promise<T>): Promise<T> {
  const fake = await startFakeSlack();
  const settings = settingsFrom(
    {
      styles: { house: { model: 'house-1' } },
      channels: { 'slack:CBENCH': 'house' },
      llm: { concurrency: 256 },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: MODEL_MS + 5_000, deadlineMs: MODEL_MS + 10_000 },
    },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: modelUrl, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
  );
  const ctx = await createContext(settings, { store, logger: silentLogger() });
  const http = createHttpServer({ ctx });
  const running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  const port = await http.listen(0, '127.0.0.1');
  try {
    return await fn(`http://127.0.0.1:${port}${EVENTS_PATH}`, `http://127.0.0.1:${port}`, fake, () => running.idle());
  } finally {
    await running.stop();
    await http.close();
    await fake.close();
  }
}

/**
 * The real `restyle bot` in its own process (so the fakes and this client do not share its event loop),
 * with Slack on, the style model answering after 10 s; acks are timed from here.
 */
async function ackLatency(): Promise<BenchResult[]> {
  const model = await startFakeOpenAI();
  model.setLatency(MODEL_MS);
  model.setResponder((body) => String(body.messages[1].content).toUpperCase());
  const fake = await startFakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-slack-'));
  const bot = await startBot(
    dir,
    {
      styles: { house: { model: 'house-1' } },
      channels: { 'slack:CBENCH': 'house' },
      llm: { concurrency: 256 },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: MODEL_MS + 5_000, deadlineMs: MODEL_MS + 10_000 },
      // Seven users send 300 commands in 12 s: every one must reach the model, not the per-user limit.
      rateLimits: { restyle: { points: 0 } },
    },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: model.url, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
  );
  try {
    const base = bot.base;
    const url = `${base}${EVENTS_PATH}`;
    const acks: number[] = [];
    const health: number[] = [];
    const command = (i: number) =>
      sendSigned(url, commandRequest({ text: `Release ${i} is out.`, user: `U${i % 7}`, channel: 'CBENCH', responseUrl: fake.responseUrl() }), { secret: SECRET });
    // Warm up (JIT, connection pools, SQLite pages); not measured.
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => command(-1 - i)));
    // Open loop: a command every GAP_MS whatever the bot is doing, while 10 s model calls pile up
    // (hundreds in flight by the end); /healthz is sampled the same way as the baseline.
    const sent: Array<Promise<void>> = [];
    const t0 = performance.now();
    for (let i = 0; i < COMMANDS; i++) {
      const due = t0 + i * GAP_MS;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      sent.push(
        command(i).then((r) => {
          if (r.status !== 200) throw new Error(`ack failed: HTTP ${r.status}`);
          acks.push(r.ms);
        }),
      );
      if (i % 5 === 2) {
        const h0 = performance.now();
        sent.push(fetch(`${base}/healthz`).then(async (h) => void (await h.text(), health.push(performance.now() - h0))));
      }
    }
    await Promise.all(sent);
    const previewsBefore = fake.responses.length;
    const p99 = percentile(acks, 99);
    return [
      {
        name: `/restyle ack p99 with a ${MODEL_MS / 1000} s model`,
        value: p99,
        unit: 'ms',
        goal: '≤50 ms',
        ok: p99 <= 50,
        note: `p50 ${percentile(acks, 50).toFixed(1)} ms over ${acks.length} commands to \`restyle bot\`, one every ${GAP_MS} ms; /healthz p99 ${percentile(health, 99).toFixed(1)} ms meanwhile; ${previewsBefore} previews delivered by the end (the model takes ${MODEL_MS / 1000} s)`,
      },
    ];
  } finally {
    // SIGTERM: the bot drains (waits for the 10 s model) and exits.
    await bot.stop();
    await fake.close();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function eventsThroughRedis(): Promise<BenchResult[]> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found: install it to run the Slack events bench');
  const redis = await launchRedis(bin);
  const model = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-slack-'));
  const store = await openStore({ redisUrl: redis.url, dataDir: dir, sqlitePath: join(dir, 'unused.sqlite'), connectTimeoutMs: 1000 });
  try {
    return await withSlack(store, model.url, async (url, _base, fake, idle) => {
      const messages = Array.from({ length: EVENTS }, (_, i) => fake.addMessage({ channel: 'CBENCH', text: `Sample line number ${i}.`, user: 'UAUTHOR' }));
      const firsts = messages.map((ts) => eventRequest({ type: 'reaction_added', user: 'UANA', reaction: 'star', item_user: 'UAUTHOR', item: { type: 'message', channel: 'CBENCH', ts } }));
      const jobs: Array<() => Promise<unknown>> = firsts.map((r) => () => sendSigned(url, r, { secret: SECRET }));
      // Slack's retries of the same deliveries, and other people starring the same messages.
      for (let i = 0; i < RETRIES; i++) jobs.push(() => sendSigned(url, firsts[i * 7]!, { secret: SECRET, retryNum: 1 }));
      for (let i = 0; i < REPEATS; i++) {
        const ts = messages[i * 9]!;
        jobs.push(() => sendSigned(url, eventRequest({ type: 'reaction_added', user: 'UBEN', reaction: 'star', item_user: 'UAUTHOR', item: { type: 'message', channel: 'CBENCH', ts } }), { secret: SECRET }));
      }
      const t0 = performance.now();
      let next = 0;
      const workers = Array.from({ length: 32 }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      });
      await Promise.all(workers);
      await idle();
      const ms = performance.now() - t0;
      const samples = await new SampleRepository(store).list();
      const ids = new Set(samples.map((s) => s.messageId));
      const notes = fake.callsTo('chat.postEphemeral').map((c) => String(c.args.text));
      const saved = notes.filter((t) => t.startsWith('Saved')).length;
      const lost = messages.filter((ts) => !ids.has(ts)).length;
      const duplicates = samples.length - ids.size + Math.max(0, saved - EVENTS);
      return [
        { name: `${EVENTS} sample reactions via the receiver, Redis store: lost`, value: lost, unit: 'count', goal: '0', ok: lost === 0, note: `${samples.length} samples, ${saved} "Saved" notes` },
        {
          name: `… duplicates (with ${RETRIES} Slack retries and ${REPEATS} repeat reactions)`,
          value: duplicates,
          unit: 'count',
          goal: '0',
          ok: duplicates === 0 && notes.filter((t) => t.startsWith('Already saved')).length === REPEATS,
          note: `${jobs.length} requests in ${(ms / 1000).toFixed(1)} s (${((jobs.length / ms) * 1000).toFixed(0)}/s, 32 at a time)`,
        },
      ];
    });
  } finally {
    await store.close();
    await model.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function slackBench(): Promise<BenchResult[]> {
  return [...(await ackLatency()), ...(await eventsThroughRedis())];
}
