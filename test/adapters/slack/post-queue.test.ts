/**
 * The `/restyle` preview's Post button through the durable queue: recorded inside Bolt's ack() (before
 * Slack hears 200), posted by a job exactly once — on SQLite and on Redis.
 */
import { describe, expect, it, vi } from 'vitest';
import type { JobQueue } from '../../../src/queue/types.js';
import { buttonPayload, interactionRequest } from '../../fakes/slack.js';
import { channelId, queuedSlackHarnesses, userId, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

type Kind = 'sqlite' | 'redis';
const CHANNEL = channelId('general');
const ANA = userId('ana');

const model = useFakeOpenAI({ responder: (body) => String(body.messages.at(-1).content).toUpperCase() });
const startQueued = queuedSlackHarnesses();

function start(kind: Kind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  return startQueued(kind, {
    config: { styles: { loud: { model: 'loud-1' } }, channels: { [`slack:${CHANNEL}`]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    env: { OPENAI_API_KEY: 'sk-pq', OPENAI_BASE_URL: model.url },
  });
}

/** `/restyle TEXT` as ana, returning the preview's id (the value of its Post button). */
async function preview(h: SlackHarness, text: string): Promise<string> {
  await h.command(text, 'ana', 'general');
  await h.settle();
  const id = h.ephemerals(`slack:${ANA}`).at(-1)?.buttons.find((b) => b.action === 'post')?.id;
  expect(id, 'a Post button').toBeDefined();
  return id!;
}

/** A signed Post press; the same `triggerId` is the same interaction delivered again. */
const pressPost = (h: SlackHarness, id: string, triggerId: string) =>
  h.send(interactionRequest(buttonPayload({ actionId: 'restyle_post', value: id, user: ANA, channel: CHANNEL, responseUrl: h.fake.responseUrl(), triggerId })));

const posted = (h: SlackHarness, text: string) => h.fake.messages(CHANNEL).filter((m) => m.bot_id === h.fake.bot.botId && m.text.includes(text));

describe.each<Kind>(['sqlite', 'redis'])('Slack Post button through the %s queue', (kind) => {
  it('posts once when Post is pressed twice and the interaction is redelivered, and the presser sees one confirmation', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Your order shipped today.');
    const shownBefore = h.ephemerals().length;

    expect((await pressPost(h, id, 'trigger.first')).status).toBe(200);
    // Recorded before the 200: the job exists as soon as Slack was answered.
    expect((await queue.outcome(`slack.preview-post:${id}:trigger.first`)).status).not.toBe('unknown');
    expect((await pressPost(h, id, 'trigger.first')).status).toBe(200); // redelivered
    expect((await pressPost(h, id, 'trigger.second')).status).toBe(200); // a double click
    await vi.waitFor(async () => expect((await queue.stats()).depth).toBe(0));
    await h.settle();

    expect(posted(h, 'YOUR ORDER SHIPPED TODAY.')).toHaveLength(1);
    const shown = h.ephemerals().slice(shownBefore); // these presses' response_urls are not tied to a user by the harness
    expect(shown.filter((e) => /Posted in style `loud`/.test(e.text))).toHaveLength(1);
    // Whatever the presser was shown replaced the preview: one message, never a second one beside it.
    expect(shown.every((e) => e.replaced)).toBe(true);
    expect((await queue.outcome(`slack.preview-post:${id}:trigger.first`)).state.posted).toEqual([posted(h, 'YOUR ORDER SHIPPED TODAY.')[0]!.ts]);
  });

  it('retries a post while the Slack API fails, and posts it once afterwards', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Back in a moment.');
    // The first attempt takes the preview and fails: the retries must find it taken by themselves and post.
    h.fake.failNext('chat.postMessage', { status: 503 }, 2);
    expect((await pressPost(h, id, 'trigger.retry')).status).toBe(200);
    await vi.waitFor(async () => expect((await queue.outcome(`slack.preview-post:${id}:trigger.retry`)).status).toBe('done'));
    expect(posted(h, 'BACK IN A MOMENT.')).toHaveLength(1);
    expect(h.fake.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(3);
    expect(await queue.failed()).toHaveLength(0);
  });

  it('a post Slack refuses for good is reported on the preview once, not retried, and Post works again afterwards', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Not in here yet.');
    h.fake.failNext('chat.postMessage', { error: 'not_in_channel' }, 1);
    const shownBefore = h.ephemerals().length;
    await pressPost(h, id, 'trigger.refused');
    await vi.waitFor(async () => expect((await queue.outcome(`slack.preview-post:${id}:trigger.refused`)).status).toBe('done'));
    await h.settle();
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.ephemerals().slice(shownBefore).map((e) => e.text)).toEqual([expect.stringMatching(/^Not posted: .*not in this channel/)]);
    // The preview was given back: a later press posts it.
    await pressPost(h, id, 'trigger.again');
    await vi.waitFor(() => expect(posted(h, 'NOT IN HERE YET.')).toHaveLength(1));
  });

  it('tells the presser it cannot take the Post now when the queue cannot be written, and posts nothing', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Nobody will see this.');
    await queue.close(0);
    expect((await pressPost(h, id, 'trigger.closed')).status).toBe(200);
    const told = h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === ANA);
    expect(told).toHaveLength(1);
    expect(String(told[0]!.args.text)).toMatch(/can't take your Post right now/);
    await h.running.idle();
    expect(posted(h, 'NOBODY WILL SEE THIS.')).toHaveLength(0);
  });
});
