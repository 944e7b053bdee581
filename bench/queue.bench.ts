/**
 * Issue 17, "latency stays": a Slack mention's ack with the durable queue (the mention is written to the
 * SQLite outbox inside ack()) against the same adapter without a queue, measured in the same run, rounds
 * alternating so both see the same machine. Printed as the ratio of the p99s. (Discord's defer path does not
 * touch the queue, so it has nothing to compare.)
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
import { openOutboxQueue } from '../src/queue/outbox.js';
import type { JobQueue } from '../src/queue/types.js';
import { openStore } from '../src/store/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai.js';
import { eventRequest, sendSigned, startFakeSlack, type FakeSlack } from '../test/fakes/slack.js';
import { percentile, type BenchResult } from './types.js';

const SECRET = 'bench-queue-secret';
const ROUNDS = 6;
const PER_ROUND = 100;
const GAP_MS = 10;

interface Rig {
  url: string;
  fake: FakeSlack;
  close(): Promise<void>;
}

async function rig(dir: string, model: FakeOpenAI, queued: boolean): Promise<Rig> {
  const fake = await startFakeSlack();
  const settings = settingsFrom(
    { styles: { house: { model: 'house-1' } }, channels: { 'slack:CBENCH': 'house' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 }, bot: { answer: { source: 'openai', model: 'answer-1' } } },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: model.url, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
  );
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 1000 });
  const queue: JobQueue | undefined = queued ? await openOutboxQueue({ path: join(dir, 'restyle.sqlite') }) : undefined;
  const ctx = await createContext(settings, { store, logger: silentLogger(), registry: 'off', ...(queue ? { queue } : {}) });
  const http = createHttpServer({ ctx });
  const running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
  await queue?.start();
  const port = await http.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}${EVENTS_PATH}`,
    fake,
    async close() {
      await queue?.close(0);
      await running.stop();
      await http.close();
      await store.close();
      await fake.close();
    },
  };
}

/** One round: PER_ROUND mentions, one every GAP_MS (open loop); the ack times. */
async function round(r: Rig, tag: string): Promise<number[]> {
  const acks: number[] = [];
  const sent: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const due = t0 + i * GAP_MS;
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    const text = `<@${r.fake.bot.userId}> question ${tag}-${i}`;
    const ts = r.fake.addMessage({ channel: 'CBENCH', text, user: 'UANA' });
    sent.push(
      sendSigned(r.url, eventRequest({ type: 'app_mention', user: 'UANA', text, ts, channel: 'CBENCH' }), { secret: SECRET }).then((res) => {
        if (res.status !== 200) throw new Error(`ack failed: HTTP ${res.status}`);
        acks.push(res.ms);
      }),
    );
  }
  await Promise.all(sent);
  return acks;
}

export default async function queueBench(): Promise<BenchResult[]> {
  const model = await startFakeOpenAI();
  model.setLatency(2_000);
  const dirs = [mkdtempSync(join(tmpdir(), 'restyle-bench-q-')), mkdtempSync(join(tmpdir(), 'restyle-bench-q-'))];
  const plain = await rig(dirs[0]!, model, false);
  const queued = await rig(dirs[1]!, model, true);
  try {
    await round(plain, 'warm');
    await round(queued, 'warm');
    const without: number[] = [];
    const withQueue: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      without.push(...(await round(plain, `p${i}`)));
      withQueue.push(...(await round(queued, `q${i}`)));
    }
    const p99Without = percentile(without, 99);
    const p99With = percentile(withQueue, 99);
    const ratio = p99With / p99Without;
    return [
      {
        name: 'Slack mention ack p99, with the SQLite queue / without',
        value: ratio,
        unit: '×',
        goal: '≤1.2×',
        ok: ratio <= 1.2,
        note: `with ${p99With.toFixed(1)} ms, without ${p99Without.toFixed(1)} ms (p50 ${percentile(withQueue, 50).toFixed(1)} / ${percentile(without, 50).toFixed(1)} ms); ${withQueue.length} mentions each, one every ${GAP_MS} ms, 2 s answer model`,
      },
    ];
  } finally {
    await plain.close();
    await queued.close();
    await model.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
