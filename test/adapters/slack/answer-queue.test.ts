/**
 * Slack mentions and DMs through the durable queue: recorded inside Bolt's ack() (before Slack hears 200),
 * answered by a job, posted once — on SQLite and on Redis.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteDb } from '../../../src/queue/sqlite-db.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { channelId, queuedSlackHarnesses, userId, type SlackHarness } from './harness.js';

type Kind = 'sqlite' | 'redis';
const ANSWER_PROMPT = 'ANSWER-SOURCE';
const CHANNEL = channelId('general');
const ASKER = userId('ana');

let model: FakeOpenAI;
beforeAll(async () => {
  model = await startFakeOpenAI({
    responder: (body) => {
      const user = String(body.messages.at(-1).content);
      return body.messages[0].content === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
    },
  });
});
afterAll(async () => {
  await model.close();
});
const startQueued = queuedSlackHarnesses();

function start(kind: Kind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  return startQueued(kind, {
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${CHANNEL}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT } },
    },
    env: { OPENAI_API_KEY: 'sk-aq', OPENAI_BASE_URL: model.url },
  });
}

const answers = (h: SlackHarness, text: string) => h.fake.messages(CHANNEL).filter((m) => m.text === text);

describe.each<Kind>(['sqlite', 'redis'])('Slack mentions through the %s queue', (kind) => {
  it('answers a mention once in its thread, also when Slack redelivers the event', async () => {
    const { h, queue } = await start(kind);
    const text = `<@${h.fake.bot.userId}> what time is it`;
    const ts = h.fake.addMessage({ channel: CHANNEL, text, user: ASKER });
    const first = await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL });
    expect(first.status).toBe(200);
    // Recorded before the 200: the job exists as soon as Slack was answered.
    expect((await queue.outcome(`slack.answer:${CHANNEL}:${ts}`)).status).not.toBe('unknown');
    await vi.waitFor(() => expect(answers(h, 'ANSWER TO WHAT TIME IS IT')).toHaveLength(1));
    await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }, { eventId: first.eventId, retryNum: 1 });
    await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }); // another replica's copy
    await vi.waitFor(async () => expect((await queue.stats()).depth).toBe(0));
    expect(answers(h, 'ANSWER TO WHAT TIME IS IT')).toHaveLength(1);
    expect(answers(h, 'ANSWER TO WHAT TIME IS IT')[0]!.thread_ts).toBe(ts);
  });

  it("a channel the bot has left fails once with Slack's error, and the job is in the failed set", async () => {
    const { h, queue } = await start(kind);
    h.fake.failNext('chat.postMessage', { error: 'not_in_channel' }, 10);
    const text = `<@${h.fake.bot.userId}> anyone here`;
    const ts = h.fake.addMessage({ channel: CHANNEL, text, user: ASKER });
    await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL });
    await vi.waitFor(async () => expect(await queue.failed()).toHaveLength(1));
    expect((await queue.failed())[0]!.reason).toMatch(/permission_denied: Slack chat.postMessage failed: the bot is not in this channel/);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
    // The asker is told once why no answer comes (here Slack takes the ephemeral; where it refuses it too, that is logged).
    const told = h.fake.callsTo('chat.postEphemeral');
    expect(told.map((c) => [c.args.user, c.args.channel])).toEqual([[ASKER, CHANNEL]]);
    expect(String(told[0]!.args.text)).toMatch(/^Sorry, my answer to this did not go through: Slack chat\.postMessage failed: the bot is not in this channel.*Please try again\.$/);
  });

  it('tells the asker it cannot take work now when the queue cannot be written, and answers nothing', async () => {
    const { h, queue } = await start(kind);
    await queue.close(0);
    const text = `<@${h.fake.bot.userId}> are you there`;
    const ts = h.fake.addMessage({ channel: CHANNEL, text, user: ASKER });
    expect((await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL })).status).toBe(200);
    const told = h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === ASKER);
    expect(told).toHaveLength(1);
    expect(String(told[0]!.args.text)).toMatch(/can't take this request right now/);
    await h.running.idle();
    expect(answers(h, 'ANSWER TO ARE YOU THERE')).toHaveLength(0);
  });
});

describe('a Slack answer job run again after it posted but before it recorded the ts (a crash in between)', () => {
  it('finds its answer in the thread by the job id in the metadata, and posts nothing more', async () => {
    const { h, queue } = await start('sqlite');
    const text = `<@${h.fake.bot.userId}> posted once`;
    const ts = h.fake.addMessage({ channel: CHANNEL, text, user: ASKER });
    await h.event({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL });
    const id = `slack.answer:${CHANNEL}:${ts}`;
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
    const [answer] = answers(h, 'ANSWER TO POSTED ONCE');
    expect(answer!.metadata).toMatchObject({ event_type: 'restyle_reply', event_payload: { style: 'loud', job: id } });
    const calls = h.fake.callsTo('chat.postMessage').length;
    // As a SIGKILL between Slack's `ok` and `job.save` leaves the job: waiting again, nothing recorded.
    const db = await openSqliteDb(queue.location, 5_000);
    expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL, state = '{}' WHERE id = ?`, id)).changes).toBe(1);
    await db.close();
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'));
    expect((await queue.outcome(id)).state).toEqual({ posted: [answer!.ts] });
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(calls);
    expect(answers(h, 'ANSWER TO POSTED ONCE')).toHaveLength(1);
    expect(h.fake.callsTo('conversations.replies').at(-1)!.args).toMatchObject({ channel: CHANNEL, ts, include_all_metadata: 'true' });
  });
});
