/**
 * Chaos (issue 13, hole 1): 1,000 slow ~4 MB uploads to POST /slack/events without a valid signature,
 * against the real bot (`restyle bot` as a child process, Slack over HTTP, the fake Slack Web API). Half
 * carry no Slack headers (refused before their body is read), half a made-up signature with a fresh
 * timestamp and no declared length (read under the unverified budget, the rest refused 503). The bot's
 * RSS must grow by less than 100 MB, and a correctly signed event sent while the flood holds is acked.
 * The ack latency is a figure for bench/slack-flood.bench.ts, not an assertion here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventRequest, startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { flood, postSigned, startBotChild, type BotChild, type Flood } from '../support/slack-flood.js';

const SECRET = 'flood-signing-secret-0123456789';
const MB = 1024 * 1024;

let bot: BotChild | undefined;
let fake: FakeSlack | undefined;
let running: Flood | undefined;
afterEach(async () => {
  running?.stop();
  await bot?.stop();
  await fake?.close();
});

describe('chaos: an unsigned-body flood on POST /slack/events', () => {
  it('1,000 slow 4 MB uploads: RSS grows < 100 MB, and a signed event sent meanwhile is acked', async () => {
    fake = await startFakeSlack();
    bot = await startBotChild({
      env: { SLACK_BOT_TOKEN: 'xoxb-flood-0123456789', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url, OPENAI_API_KEY: 'sk-flood' },
      // Bodies that are admitted stay open for the whole test: the flood must still hold when the event is sent.
      config: { styles: { loud: { model: 'loud-1' } }, http: { slack: { bodyTimeoutMs: 120_000 } } },
    });
    const event = () => eventRequest({ type: 'reaction_added', user: 'UANA', reaction: 'eyes', item: { type: 'message', channel: 'CGENERAL', ts: '1700000000.000100' } });
    // Warm up the paths the event takes, so the baseline is not taken on a cold process.
    expect((await postSigned(bot.port, SECRET, event())).status).toBe(200);
    const b = bot;
    running = flood({ port: b.port, connections: 1000, bytesEach: 4 * MB, chunk: 4096, rss: () => b.rss(), ceiling: 100 * MB });
    await running.started;
    const heldBefore = running.open();
    const ack = await postSigned(bot.port, SECRET, event());
    const heldAfter = running.open();

    expect(ack.status).toBe(200);
    expect(running.tripped(), `RSS grew by ${Math.round(running.peakGrowth() / MB)} MB`).toBe(false);
    // The flood held while the event was sent and answered: admitted forged bodies were still open.
    expect(heldBefore).toBeGreaterThan(0);
    expect(heldAfter).toBeGreaterThan(0);
    // Unsigned ones are answered 401 and dropped without their body; forged ones over the per-address cap, 503.
    // (A dropped connection may reach the sender as a reset before the status line: 'none'.)
    const f = running;
    await vi.waitFor(() => expect(f.open()).toBeLessThanOrEqual(500), { timeout: 30_000, interval: 100 });
    const answers = f.answers();
    expect(answers['200']).toBeUndefined();
    expect(answers['503']).toBeGreaterThan(0);
    expect(f.peakGrowth()).toBeLessThan(100 * MB);
    console.log(`slack flood: peak RSS growth ${(f.peakGrowth() / MB).toFixed(1)} MB; answers ${JSON.stringify(answers)}; ${heldAfter} uploads still open after the ack`);
  });
});
