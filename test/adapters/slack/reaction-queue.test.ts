/**
 * Slack ⭐ saves and removals through the durable queue: recorded inside Bolt's ack() (before Slack hears
 * 200), done by a job, the sample saved once and the user told once — on SQLite and on Redis.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobQueue } from '../../../src/queue/types.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { openTestQueue } from '../../support/queue.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from './harness.js';

type Kind = 'sqlite' | 'redis';
const CHANNEL = channelId('general');
const ANA = userId('ana');

const harnesses: SlackHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function start(kind: Kind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  const policy = { backoffMs: 100, maxBackoffMs: 1_000, attempts: 5 };
  const queue = await openTestQueue(kind, policy);
  // No model is called: saving a ⭐'d message only needs the channel's style name.
  const h = await startSlackHarness({ queue, config: { styles: { loud: { model: 'loud-1' } }, channels: { [`slack:${CHANNEL}`]: 'loud' } } });
  harnesses.push(h);
  return { h, queue };
}

const samples = (h: SlackHarness) => new SampleRepository(h.ctx.store as never).list();
const star = (channel: string, ts: string, added = true) => ({ type: added ? 'reaction_added' : 'reaction_removed', user: ANA, reaction: 'star', item_user: userId('carl'), item: { type: 'message', channel, ts } });
const told = (h: SlackHarness) => h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === ANA).map((c) => String(c.args.text));

describe.each<Kind>(['sqlite', 'redis'])('Slack ⭐ through the %s queue', (kind) => {
  it('saves a ⭐ once and tells the user once, also when Slack redelivers the event; removing it takes it back', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Ahoy, the release sails at dawn.', 'carl', 'general');
    const first = await h.event(star(CHANNEL, ts));
    expect(first.status).toBe(200);
    // Recorded before the 200: the job exists as soon as Slack was answered.
    expect((await queue.outcome(`slack.reaction:${first.eventId}`)).status).not.toBe('unknown');
    await h.event(star(CHANNEL, ts), { eventId: first.eventId, retryNum: 1 });
    await vi.waitFor(async () => expect((await queue.outcome(`slack.reaction:${first.eventId}`)).status).toBe('done'));
    await vi.waitFor(async () => expect((await queue.stats()).depth).toBe(0));
    await h.settle();

    const saved = await samples(h);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ kind: 'styled', source: 'reaction', style: 'loud', styled: 'Ahoy, the release sails at dawn.', savedBy: `slack:${ANA}`, messageId: ts });
    expect(told(h)).toHaveLength(1);
    expect(told(h)[0]).toMatch(/^Saved as a sample for style `loud`/);

    const removed = await h.event(star(CHANNEL, ts, false));
    await vi.waitFor(async () => expect((await queue.outcome(`slack.reaction:${removed.eventId}`)).status).toBe('done'));
    expect(await samples(h)).toEqual([]);
    expect(told(h).at(-1)).toMatch(/^Taken back/);
  });

  it('tells the user nothing was saved when the queue cannot be written, and saves nothing', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Not today.', 'carl', 'general');
    await queue.close(0);
    expect((await h.event(star(CHANNEL, ts))).status).toBe(200);
    await h.settle();
    expect(told(h)).toHaveLength(1);
    expect(told(h)[0]).toMatch(/can't take your reaction right now .* nothing was saved/);
    expect(await samples(h)).toEqual([]);
  });
});
