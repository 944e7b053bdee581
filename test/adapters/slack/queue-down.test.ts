/**
 * The queue cannot be written (its redis-server stopped, or the SQLite outbox closed): every Slack request
 * that would become a job is answered "I can't take this now" (ephemeral, or in the Edit modal), or not
 * acknowledged where nobody waits (a deleted message: 503, so Slack sends it again) — never acknowledged
 * as work that would then never be done.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReplyOrigins } from '../../../src/bot/origins.js';
import { openBullQueue } from '../../../src/queue/bullmq.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { buttonPayload, interactionRequest, viewSubmissionPayload } from '../../fakes/slack.js';
import { openTestQueue } from '../../support/queue.js';
import { startRedis } from '../../support/redis.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const CHANNEL = channelId('general');
const ANA = userId('ana');

const model = useFakeOpenAI({ responder: (body) => String(body.messages.at(-1).content).toUpperCase() });
const harnesses: SlackHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

type Outage = 'redis-server stopped' | 'SQLite outbox closed';

/** A harness whose queue works at first; `down()` takes it away the way the outage does. */
async function start(outage: Outage): Promise<{ h: SlackHarness; down: () => Promise<void> }> {
  const policy = { backoffMs: 100, maxBackoffMs: 1_000, attempts: 5 };
  let queue: JobQueue;
  let down: () => Promise<void>;
  if (outage === 'redis-server stopped') {
    const redis = await startRedis();
    queue = await openBullQueue({ url: redis.url, prefix: `qd-${process.pid}`, policy, commandTimeoutMs: 1_000 });
    down = () => redis.stop();
  } else {
    queue = await openTestQueue('sqlite', policy);
    down = () => queue.close(0);
  }
  const h = await startSlackHarness({
    queue,
    config: { styles: { loud: { model: 'loud-1' } }, channels: { [`slack:${CHANNEL}`]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    env: { OPENAI_API_KEY: 'sk-qd', OPENAI_BASE_URL: model.url },
  });
  harnesses.push(h);
  return { h, down };
}

const toldAna = (h: SlackHarness) => h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === ANA).map((c) => String(c.args.text));
const press = (h: SlackHarness, actionId: string, value: string) =>
  h.send(interactionRequest(buttonPayload({ actionId, value, user: ANA, channel: CHANNEL, responseUrl: h.fake.responseUrl() })));

describe.each<Outage>(['redis-server stopped', 'SQLite outbox closed'])('Slack with the queue down (%s)', (outage) => {
  it('tells the person it cannot take work now for every queued kind of request, and does none of it', async () => {
    const { h, down } = await start(outage);
    // What the requests act on, made while the queue still works: a preview, a bot reply, a saved sample.
    await h.command('Not now.', 'ana', 'general');
    await h.settle();
    const previewId = h.ephemerals(`slack:${ANA}`).at(-1)!.buttons.find((b) => b.action === 'post')!.id;
    const reply = h.fake.addMessage({ channel: CHANNEL, text: 'NOT NOW.', user: h.fake.bot.userId, bot_id: h.fake.bot.botId });
    await new ReplyOrigins(h.ctx.store).record({ key: `slack:${CHANNEL}` }, [reply], { style: 'loud', model: 'loud-1', neutral: 'Not now.', styled: 'NOT NOW.' });
    const starred = await h.seedMessage('Keep me.', 'carl', 'general');
    await h.react(starred, 'star', 'ana', 'general');
    await h.settle();
    expect(await new SampleRepository(h.ctx.store as never).list()).toHaveLength(1);
    await h.press('edit', previewId, 'ana', 'general');
    await h.settle();
    const meta = String(h.fake.callsTo('views.open').at(-1)!.args.view.private_metadata);
    const toldBefore = toldAna(h).length;
    const postsBefore = h.fake.callsTo('chat.postMessage').length;

    await down();

    const mention = `<@${h.fake.bot.userId}> still there?`;
    const asked = h.fake.addMessage({ channel: CHANNEL, text: mention, user: ANA });
    expect((await h.event({ type: 'app_mention', user: ANA, text: mention, ts: asked, channel: CHANNEL })).status).toBe(200);
    expect((await h.event({ type: 'reaction_added', user: ANA, reaction: 'star', item_user: userId('carl'), item: { type: 'message', channel: CHANNEL, ts: await h.seedMessage('Another.', 'carl', 'general') } })).status).toBe(200);
    expect((await h.event({ type: 'reaction_added', user: ANA, reaction: '+1', item_user: h.fake.bot.userId, item: { type: 'message', channel: CHANNEL, ts: reply } })).status).toBe(200);
    expect((await press(h, 'restyle_post', previewId)).status).toBe(200);
    expect((await press(h, 'restyle_save', previewId)).status).toBe(200);
    expect((await press(h, 'restyle_discard', previewId)).status).toBe(200);

    // The Edit modal stays open and says why: the ack carries the error, the edited text is not lost.
    const edit = await h.send(interactionRequest(viewSubmissionPayload({ callbackId: 'restyle_edit', user: ANA, privateMetadata: meta, values: { styled: { text: { type: 'plain_text_input', value: 'NOT NOW, edited.' } } } })));
    expect(edit.status).toBe(200);
    expect(JSON.parse(edit.body)).toEqual({ response_action: 'errors', errors: { styled: expect.stringMatching(/can't take your edit right now .*nothing was posted/) } });

    // Nobody waits on a deletion: not acknowledged, so Slack sends it again later; the sample stays until then.
    const deleted = await h.event({ type: 'message', subtype: 'message_deleted', hidden: true, channel: CHANNEL, channel_type: 'channel', ts: '1800000000.000300', deleted_ts: starred });
    expect(deleted.status).toBe(503);
    await h.settle();

    expect(toldAna(h).slice(toldBefore)).toEqual([
      expect.stringMatching(/can't take this request right now/),
      expect.stringMatching(/can't take your reaction right now .*nothing was saved/),
      expect.stringMatching(/can't take your reaction right now .*nothing was recorded/),
      expect.stringMatching(/can't take your Post right now/),
      expect.stringMatching(/can't take your save press right now/),
      expect.stringMatching(/can't take your discard press right now/),
    ]);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(postsBefore);
    expect(await new SampleRepository(h.ctx.store as never).list()).toEqual([expect.objectContaining({ styled: 'Keep me.' })]);
    expect(await h.ctx.store.ns('previews').get(previewId)).toBeDefined();
    // Nothing "Saving…" or "Posting…" over the preview: those presses were never taken.
    expect(h.fake.responses.map((r) => String(r.body.text)).filter((t) => /…$/.test(t))).toEqual([]);
  });
});
