/**
 * One Slack rig of queue.bench.ts in a process of its own (as `restyle bot` runs): Bolt on restyle's HTTP
 * server, the store's SQLite file, and — per argv[2] — no queue (`none`) or the outbox on the store's
 * connection (`shared`, what `restyle bot` opens). Its fake
 * Slack and fake model run here too. Driven over IPC: `{mention: tag}` → `{ack: ms}`; `{report: true}` →
 * the enqueue times; `{close: true}` ends it.
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
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { eventRequest, sendSigned, startFakeSlack } from '../test/fakes/slack.js';

export type Outbox = 'none' | 'shared';
export type RigMessage = { mention: string } | { report: true } | { close: true };
export type RigReply = { ready: true } | { ack: number; tag: string } | { error: string } | { enqueueMs: number[] };

const SECRET = 'bench-queue-secret';
const outbox = process.argv[2] as Outbox;
const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-q-'));
const model = await startFakeOpenAI();
model.setLatency(2_000);
const fake = await startFakeSlack();
const settings = settingsFrom(
  { styles: { house: { model: 'house-1' } }, channels: { 'slack:CBENCH': 'house' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 }, bot: { answer: { source: 'openai', model: 'answer-1' } } },
  { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: model.url, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
);
const path = join(dir, 'restyle.sqlite');
const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: path, connectTimeoutMs: 1000 });
const enqueueMs: number[] = [];
const queue: JobQueue | undefined = outbox === 'none' ? undefined : timed(await openOutboxQueue({ path, connection: store.sqliteQuery! }));
const ctx = await createContext(settings, { store, logger: silentLogger(), registry: 'off', ...(queue ? { queue } : {}) });
const http = createHttpServer({ ctx });
const running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
// Enough workers to keep up (50 mentions/s × a 2 s model), as an operator would scale them: the same work in
// flight as the inline answers without a queue, so the ack path is what differs, not a growing backlog.
await queue?.start({ concurrency: 128 });
const url = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}${EVENTS_PATH}`;

/** The durable write alone, as the ack path waits for it. */
function timed(q: JobQueue): JobQueue {
  const enqueue = q.enqueue.bind(q);
  q.enqueue = async (job) => {
    const t0 = performance.now();
    try {
      return await enqueue(job);
    } finally {
      enqueueMs.push(performance.now() - t0);
    }
  };
  return q;
}

const send = (m: RigReply): void => void process.send!(m);
process.on('message', (m: RigMessage) => {
  if ('mention' in m) {
    const text = `<@${fake.bot.userId}> question ${m.mention}`;
    const ts = fake.addMessage({ channel: 'CBENCH', text, user: 'UANA' });
    sendSigned(url, eventRequest({ type: 'app_mention', user: 'UANA', text, ts, channel: 'CBENCH' }), { secret: SECRET }).then(
      (res) => send(res.status === 200 ? { ack: res.ms, tag: m.mention } : { error: `ack failed: HTTP ${res.status}` }),
      (error: unknown) => send({ error: (error as Error).message }),
    );
  } else if ('report' in m) {
    send({ enqueueMs });
  } else {
    void (async () => {
      await queue?.close(0);
      await running.stop();
      await http.close();
      await store.close();
      await fake.close();
      await model.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })();
  }
});
send({ ready: true });
