/**
 * Chaos, with real processes, for streamed answers (`bot.answer.stream`): `restyle bot` streams 20 answers
 * into their threads, slowly (the model writes 4 words a second), and is SIGKILLed once every answer has
 * begun. Started again on the same SQLite file (or the same redis-server), each job runs again and writes
 * its answer into the message the first run began: one message per thread, with the whole answer. The time
 * from the restart to the last complete answer is printed (a figure, not a limit).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeOpenAI } from '../fakes/openai.js';
import { eventRequest, sendSigned, startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { chaosConfig, killAllBots, slackChaosEnv, startBot, startChaosModel, waitDrained, writeConfig } from './bot-process.js';

const CHANNEL = 'CGENERAL';
const ASKER = 'UANA';
const SECRET = 'chaos-signing-secret';
const MENTIONS = 20;
/** Three paragraphs, each a block of its own (restyle.maxBlockParagraphs 1), for question `q`. */
const answerTo = (q: string) => [`Answer to ${q}.`, 'The deploy went out at ten and every check passed.', 'Nothing else needs doing today.'];

let model: FakeOpenAI;
let slack: FakeSlack;
beforeEach(async () => {
  model = await startChaosModel((q) => answerTo(q).join('\n\n'));
  slack = await startFakeSlack();
});
afterEach(async () => {
  killAllBots();
  await model.close();
  await slack.close();
});

describe.each(['sqlite', 'redis'] as const)('chaos: the bot is SIGKILLed while 20 streamed answers are half written (%s)', (kind) => {
  it('each thread ends with one message holding the whole answer', { timeout: 120_000 }, async () => {
    const cwd = tmpDir(`queue-kill-stream-${kind}`);
    writeConfig(cwd, chaosConfig(`slack:${CHANNEL}`, { stream: true }, { maxBlockParagraphs: 1 }));
    const redis = kind === 'redis' ? await startRedis() : undefined;
    const env = slackChaosEnv(cwd, model, slack, SECRET, redis?.url);
    model.setStreamRate(4);
    const first = await startBot(cwd, env);

    const sent: Array<{ ts: string; q: string }> = [];
    for (let i = 0; i < MENTIONS; i++) {
      const q = `question ${i}`;
      const text = `<@${slack.bot.userId}> ${q}`;
      const ts = slack.addMessage({ channel: CHANNEL, text, user: ASKER });
      sent.push({ ts, q });
      const res = await sendSigned(`${first.base}/slack/events`, eventRequest({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }), { secret: SECRET });
      expect(res.status).toBe(200);
    }
    const replies = (ts: string) => slack.messages(CHANNEL).filter((m) => m.thread_ts === ts && m.bot_id === slack.bot.botId);
    // Every answer has begun streaming, and none is finished: kill now.
    await vi.waitFor(() => expect(sent.filter(({ ts }) => replies(ts).length === 0)).toEqual([]), { timeout: 60_000, interval: 20 });
    const unfinished = sent.filter(({ ts }) => replies(ts).some((m) => m.streaming)).length;
    await first.kill();

    const restartedAt = Date.now();
    const second = await startBot(cwd, env);
    const whole = (q: string) => answerTo(q).map((p) => p.toUpperCase()).join('\n\n');
    const complete = ({ ts, q }: { ts: string; q: string }) => replies(ts).some((m) => m.text === whole(q) && !m.streaming);
    await vi.waitFor(() => expect(sent.filter((s) => !complete(s)).map((s) => s.q)).toEqual([]), { timeout: 90_000, interval: 100 });
    const boundMs = Date.now() - restartedAt;
    await waitDrained(second);
    const counts = sent.map(({ ts }) => replies(ts).length);
    const duplicated = counts.filter((n) => n > 1).length;
    const rewritten = new Set(slack.callsTo('chat.update').map((c) => String(c.args.ts))).size;
    console.log(
      `chaos queue-kill-stream (${kind}): ${MENTIONS} streamed answers, SIGKILL with ${unfinished} still streaming; after restart: ${sent.filter(complete).length} complete, ${duplicated} threads with a second message, ${rewritten} messages written into again; last complete ${boundMs} ms after the restart began`,
    );
    // What a thread with a second message holds, to tell a cut-off stream's window from anything else.
    for (const { ts, q } of sent.filter(({ ts }) => replies(ts).length > 1)) {
      console.log(`second message for "${q}":`, JSON.stringify(replies(ts).map((m) => ({ ts: m.ts, streaming: m.streaming, tagged: m.metadata !== undefined, text: m.text.slice(0, 40) }))));
    }
    expect(unfinished).toBeGreaterThan(0);
    expect(duplicated).toBe(0);
    expect(sent.filter(complete)).toHaveLength(MENTIONS);
    await second.stop();
  });
});
