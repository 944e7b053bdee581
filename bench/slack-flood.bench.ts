/**
 * Issue 13, hole 1: the real bot (`restyle bot` as a child process, Slack over HTTP, the fake Slack API)
 * under 1,000 slow ~4 MB uploads without a valid signature (test/support/slack-flood.ts). Figures: the
 * bot's RSS growth during the flood, and the ack latency of correctly signed events sent while it holds,
 * against the same bot's ack latency with no flood, measured in the same run.
 */
import { eventRequest, startFakeSlack } from '../test/fakes/slack.js';
import { flood, postSigned, startBotChild } from '../test/support/slack-flood.js';
import { median, percentile, type BenchResult } from './types.js';

const SECRET = 'bench-flood-secret-0123456789';
const MB = 1024 * 1024;
const EVENTS = 20;

const event = () => eventRequest({ type: 'reaction_added', user: 'UANA', reaction: 'eyes', item: { type: 'message', channel: 'CGENERAL', ts: '1700000000.000100' } });

async function acks(port: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < EVENTS; i += 1) {
    const res = await postSigned(port, SECRET, event());
    if (res.status !== 200) throw new Error(`signed event answered ${res.status}`);
    ms.push(res.ms);
  }
  return ms;
}

export default async function run(): Promise<BenchResult[]> {
  const fake = await startFakeSlack();
  const bot = await startBotChild({
    env: { SLACK_BOT_TOKEN: 'xoxb-bench-0123456789', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url, OPENAI_API_KEY: 'sk-bench' },
    config: { styles: { loud: { model: 'loud-1' } }, http: { slack: { bodyTimeoutMs: 120_000 } } },
  });
  try {
    await acks(bot.port);
    const quiet = await acks(bot.port);
    const f = flood({ port: bot.port, connections: 1000, bytesEach: 4 * MB, chunk: 4096, rss: () => bot.rss(), ceiling: 1024 * MB });
    await f.started;
    const loud = await acks(bot.port);
    const growth = f.peakGrowth();
    f.stop();
    return [
      { name: 'bot RSS growth under 1,000 unsigned slow 4 MB uploads', value: growth / MB, unit: 'MB', goal: '<100 MB', ok: growth < 100 * MB },
      { name: 'signed event ack p99 during the flood', value: percentile(loud, 99), unit: 'ms', goal: '<1000 ms', ok: percentile(loud, 99) < 1000, note: `${EVENTS} events` },
      { name: 'signed event ack median, flood / quiet', value: median(loud) / median(quiet), unit: '×', note: `quiet median ${median(quiet).toFixed(1)} ms` },
    ];
  } finally {
    await bot.stop();
    await fake.close();
  }
}
