/**
 * Chaos, with real processes: `restyle bot` (bin/restyle.js) answers Slack mentions through its durable
 * queue; the answer model takes 2 s, so 50 mentions are in flight when the bot is SIGKILLed. Started again
 * on the same SQLite file (or the same redis-server), it must post every answer exactly once. The time from
 * the restart to the last answer is printed (a figure, not a limit).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeOpenAI } from '../fakes/openai.js';
import { eventRequest, sendSigned, startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { answerRequests, chaosConfig, killAllBots, slackChaosEnv, startBot, startChaosModel, waitDrained, writeConfig } from './bot-process.js';

const CHANNEL = 'CGENERAL';
const ASKER = 'UANA';
const SECRET = 'chaos-signing-secret';
const MENTIONS = 50;
const MODEL_MS = 2_000;

let model: FakeOpenAI;
let slack: FakeSlack;
beforeEach(async () => {
  model = await startChaosModel();
  slack = await startFakeSlack();
});
afterEach(async () => {
  killAllBots();
  await model.close();
  await slack.close();
});

describe.each(['sqlite', 'redis'] as const)('chaos: the bot is SIGKILLed with 50 mentions in flight (%s)', (kind) => {
  it('posts every answer exactly once after the restart', { timeout: 120_000 }, async () => {
    const cwd = tmpDir(`queue-kill-${kind}`);
    writeConfig(cwd, chaosConfig(`slack:${CHANNEL}`));
    const redis = kind === 'redis' ? await startRedis() : undefined;
    const env = slackChaosEnv(cwd, model, slack, SECRET, redis?.url);
    model.setLatency(MODEL_MS);
    const first = await startBot(cwd, env);

    const sent: string[] = [];
    await Promise.all(
      Array.from({ length: MENTIONS }, async (_, i) => {
        const text = `<@${slack.bot.userId}> question ${i}`;
        const ts = slack.addMessage({ channel: CHANNEL, text, user: ASKER });
        sent.push(ts);
        const res = await sendSigned(`${first.base}/slack/events`, eventRequest({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }), { secret: SECRET });
        expect(res.status).toBe(200);
      }),
    );
    // Every mention is with the model (2 s): kill now.
    await vi.waitFor(() => expect(answerRequests(model).length).toBe(MENTIONS), { timeout: 30_000, interval: 20 });
    const answeredBeforeKill = slack.callsTo('chat.postMessage').length;
    await first.kill();

    const restartedAt = Date.now();
    const second = await startBot(cwd, env);
    // Styled or not: an answer the style model's admission check let through unstyled (fail-open, `overloaded`) is answered too.
    const answersTo = (ts: string) => slack.messages(CHANNEL).filter((m) => m.thread_ts === ts && m.text.toUpperCase().startsWith('ANSWER TO'));
    await vi.waitFor(() => expect(sent.filter((ts) => answersTo(ts).length === 0)).toEqual([]), { timeout: 90_000, interval: 100 });
    const boundMs = Date.now() - restartedAt;
    // Quiet: nothing left to run, so no late duplicate can still come.
    await waitDrained(second);
    const counts = sent.map((ts) => answersTo(ts).length);
    const lost = counts.filter((n) => n === 0).length;
    const duplicated = counts.filter((n) => n > 1).length;
    console.log(
      `chaos queue-kill (${kind}): ${MENTIONS} mentions, ${MODEL_MS} ms model, SIGKILL with ${MENTIONS - answeredBeforeKill} unanswered; after restart: ${MENTIONS - lost} answered, ${lost} lost, ${duplicated} duplicated; last answer ${boundMs} ms after the restart began`,
    );
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    await second.stop();
  });
});
