/**
 * Streamed answers (`bot.answer.stream`) through the durable queue: each message is recorded in the job as
 * soon as it begins and tagged with the job id when the stream stops, so a second attempt writes the
 * answer into the message the first one began instead of posting another — on SQLite and on Redis.
 */
import { describe, expect, it, vi } from 'vitest';
import { openSqliteDb } from '../../../src/queue/sqlite-db.js';
import type { JobQueue } from '../../../src/queue/types.js';
import type { QueueKind } from '../../support/queue.js';
import { channelId, queuedSlackHarnesses, userId, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const CHANNEL = channelId('general');
const ANA = userId('ana');
const PARAS = ['The deploy finished at 10:30.', 'Every check passed.', 'Nothing else needs doing.'];
const STYLED = PARAS.map((p) => p.toUpperCase()).join('\n\n');
/** A rewrite goes out as paced edits (one Slack call a second, SLACK_EDIT_PACE): several seconds for three blocks. */
const WAIT = { timeout: 20_000 };

const model = useFakeOpenAI({ responder: (body) => (body.model === 'answer-1' ? PARAS.join('\n\n') : String(body.messages.at(-1).content).toUpperCase()) });
const startQueued = queuedSlackHarnesses();

function start(kind: QueueKind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  return startQueued(kind, {
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${CHANNEL}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, maxBlockParagraphs: 1 },
      bot: { answer: { source: 'openai', model: 'answer-1', stream: true } },
    },
    env: { OPENAI_API_KEY: 'sk-sq', OPENAI_BASE_URL: model.url },
  });
}

/** Mention the bot; the job id of the answer. */
async function mention(h: SlackHarness, text: string): Promise<{ ts: string; id: string }> {
  const full = `<@${h.fake.bot.userId}> ${text}`;
  const ts = h.fake.addMessage({ channel: CHANNEL, text: full, user: ANA });
  await h.event({ type: 'app_mention', user: ANA, text: full, ts, channel: CHANNEL });
  return { ts, id: `slack.answer:${CHANNEL}:${ts}` };
}
const replies = (h: SlackHarness, thread: string) => h.fake.messages(CHANNEL).filter((m) => m.bot_id === h.fake.bot.botId && m.thread_ts === thread);

describe.each<QueueKind>(['sqlite', 'redis'])('Slack streamed answers through the %s queue', (kind) => {
  it('records the streamed message in the job as it begins, tags it when it stops, and records it posted', async () => {
    const { h, queue } = await start(kind);
    const { ts, id } = await mention(h, 'how did it go?');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'), WAIT);
    const [reply] = replies(h, ts);
    expect(reply).toMatchObject({ text: STYLED, streaming: false, metadata: { event_type: 'restyle_reply', event_payload: { job: id } } });
    expect((await queue.outcome(id)).state).toEqual({ streamed: [reply!.ts], posted: [reply!.ts] });
    expect(h.fake.callsTo('chat.startStream')).toHaveLength(1);
  });

  it('a second attempt after the stream broke off writes the answer into the same message: one reply, complete', async () => {
    const { h, queue } = await start(kind);
    // The first attempt starts the stream, then Slack fails (HTTP 503) mid-answer: the job is retried.
    h.fake.failNext('chat.appendStream', { status: 503 }, 1);
    const { ts, id } = await mention(h, 'and now?');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'), WAIT);
    const outcome = await queue.outcome(id);
    expect(h.fake.callsTo('chat.startStream')).toHaveLength(1);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    const all = replies(h, ts);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ text: STYLED, streaming: false });
    expect(outcome.state.posted).toEqual([all[0]!.ts]);
    // It was a second attempt, and it wrote into the first attempt's message.
    expect(h.fake.callsTo('chat.update').map((c) => c.args.ts)).toContain(all[0]!.ts);
    expect(await queue.failed()).toEqual([]);
  });
});

describe.each<QueueKind>(['sqlite', 'redis'])("a streamed answer in a channel the bot has left (%s)", (kind) => {
  it("fails once with Slack's error, not over and over", async () => {
    const { h, queue } = await start(kind);
    h.fake.failNext('chat.startStream', { error: 'channel_not_found' }, 5);
    h.fake.failNext('chat.postMessage', { error: 'channel_not_found' }, 5);
    const { id } = await mention(h, 'hello?');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('failed'), WAIT);
    expect((await queue.failed())[0]).toMatchObject({ id, attempts: 1, reason: expect.stringMatching(/chat.postMessage failed: the bot cannot see this channel/) });
    expect(h.fake.callsTo('chat.startStream')).toHaveLength(1);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('a streamed answer job run again after its stream stopped but before it recorded the post (a crash in between)', () => {
  it('finds its message by the job id in the metadata and answers into it, posting nothing new', async () => {
    const { h, queue } = await start('sqlite');
    const { ts, id } = await mention(h, 'once more?');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'), WAIT);
    const [reply] = replies(h, ts);
    const starts = h.fake.callsTo('chat.startStream').length;
    // As a SIGKILL after chat.stopStream and before `job.save` leaves it: waiting again, nothing recorded.
    const db = await openSqliteDb(queue.location, 5_000);
    expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL, state = '{}' WHERE id = ?`, id)).changes).toBe(1);
    await db.close();
    await vi.waitFor(async () => expect((await queue.outcome(id)).state.posted).toEqual([reply!.ts]), WAIT);
    expect(h.fake.callsTo('chat.startStream')).toHaveLength(starts);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(replies(h, ts)).toEqual([expect.objectContaining({ ts: reply!.ts, text: STYLED })]);
    expect(h.fake.callsTo('conversations.replies').at(-1)!.args).toMatchObject({ channel: CHANNEL, ts, include_all_metadata: 'true' });
  });

  it('killed between chat.startStream and recording its ts (the message untagged, still streaming): found in the mention\'s own thread and written into', async () => {
    const { h, queue } = await start('sqlite');
    const { ts, id } = await mention(h, 'cut short?');
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('done'), WAIT);
    const [reply] = replies(h, ts);
    // As the first attempt left it: the stream never stopped (so never tagged), half an answer, nothing recorded.
    delete reply!.metadata;
    Object.assign(reply!, { streaming: true, text: PARAS[0]!.toUpperCase() });
    const starts = h.fake.callsTo('chat.startStream').length;
    const db = await openSqliteDb(queue.location, 5_000);
    expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL, state = '{}' WHERE id = ?`, id)).changes).toBe(1);
    await db.close();
    await vi.waitFor(async () => expect((await queue.outcome(id)).state.posted).toEqual([reply!.ts]), WAIT);
    expect(h.fake.callsTo('chat.startStream')).toHaveLength(starts);
    expect(replies(h, ts)).toEqual([expect.objectContaining({ ts: reply!.ts, text: STYLED, streaming: false })]);
  });
});
