/**
 * `/restyle map|unmap|forget` and the "Save as style sample" shortcut through the durable queue: recorded
 * inside Bolt's ack() under the trigger_id, done once, answered once — on SQLite and on Redis; with the
 * queue down, refused in the ack (the command) or ephemeral (the shortcut), nothing changed.
 */
import { describe, expect, it, vi } from 'vitest';
import type { JobQueue } from '../../../src/queue/types.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { commandRequest, interactionRequest, messageShortcutPayload } from '../../fakes/slack.js';
import type { QueueKind } from '../../support/queue.js';
import { channelId, queuedSlackHarnesses, userId, type SlackHarness } from './harness.js';

const GENERAL = channelId('general');
const RANDOM = channelId('random');
const ANA = userId('ana');
const ADMIN = userId('admin');

const startQueued = queuedSlackHarnesses();

function start(kind: QueueKind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  // No model is called: mapping, forgetting and saving a message need only style names.
  return startQueued(kind, {
    config: { styles: { loud: { model: 'loud-1' }, quiet: { model: 'quiet-1' } }, channels: { [`slack:${GENERAL}`]: 'loud' }, bot: { admins: [`slack:${ADMIN}`] } },
  });
}

const samples = (h: SlackHarness) => new SampleRepository(h.ctx.store as never).list();
const shownAt = (h: SlackHarness, url: string) => h.fake.responses.filter((r) => url.endsWith(`/${r.id}`)).map((r) => String(r.body.text));
const command = (h: SlackHarness, text: string, user: string, channel: string, triggerId: string, responseUrl: string) =>
  h.send(commandRequest({ text, user, channel, responseUrl, triggerId }));
const saveShortcut = (h: SlackHarness, ts: string, text: string, triggerId: string, responseUrl: string) =>
  h.send(interactionRequest({ ...messageShortcutPayload({ callbackId: 'save_sample', user: ANA, channel: GENERAL, message: { ts, text, user: userId('carl') }, responseUrl }), trigger_id: triggerId }));

describe.each<QueueKind>(['sqlite', 'redis'])('Slack commands and shortcuts through the %s queue', (kind) => {
  it('/restyle map delivered twice maps once and answers once', async () => {
    const { h, queue } = await start(kind);
    const url = h.fake.responseUrl();
    expect((await command(h, 'map quiet', ADMIN, RANDOM, 'trigger.map', url)).status).toBe(200);
    expect((await queue.outcome('slack.command:trigger.map')).status).not.toBe('unknown');
    await command(h, 'map quiet', ADMIN, RANDOM, 'trigger.map', url);
    await h.settle();
    expect((await h.ctx.restyler.channels.resolve(`slack:${RANDOM}`))?.style).toBe('quiet');
    expect(shownAt(h, url)).toEqual([expect.stringMatching(/^Mapped: .*`quiet`/)]);
  });

  it('/restyle forget deletes what the user saved, through a job', async () => {
    const { h, queue } = await start(kind);
    await h.react(await h.seedMessage('Mine to keep?', 'carl', 'general'), 'star', 'ana', 'general');
    await h.settle();
    expect(await samples(h)).toHaveLength(1);
    const url = h.fake.responseUrl();
    await command(h, 'forget', ANA, GENERAL, 'trigger.forget', url);
    await h.settle();
    expect(await samples(h)).toEqual([]);
    expect(shownAt(h, url)).toEqual([expect.stringMatching(/^Forgotten: deleted 1 sample/)]);
    expect((await queue.outcome('slack.command:trigger.forget')).status).toBe('done');
  });

  it('"Save as style sample" delivered twice saves once and answers once', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Worth keeping.', 'carl', 'general');
    const url = h.fake.responseUrl();
    expect((await saveShortcut(h, ts, 'Worth keeping.', 'trigger.sc', url)).status).toBe(200);
    expect((await queue.outcome('slack.save-shortcut:trigger.sc')).status).not.toBe('unknown');
    await saveShortcut(h, ts, 'Worth keeping.', 'trigger.sc', url);
    await h.settle();
    expect(await samples(h)).toEqual([expect.objectContaining({ source: 'shortcut', styled: 'Worth keeping.', messageId: ts })]);
    expect(shownAt(h, url)).toEqual([expect.stringMatching(/^Saved as a sample for style `loud`/)]);
  });

  it.each(['command', 'shortcut'])("a %s whose reply meets a channel the bot has left (channel_not_found) fails once with Slack's error", async (what) => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Gone soon.', 'carl', 'general');
    h.fake.failResponses(404, 5);
    h.fake.failNext('chat.postEphemeral', { error: 'channel_not_found' }, 5);
    if (what === 'command') await command(h, 'map quiet', ADMIN, RANDOM, 'trigger.gone', h.fake.responseUrl());
    else await saveShortcut(h, ts, 'Gone soon.', 'trigger.gone', h.fake.responseUrl());
    const id = what === 'command' ? 'slack.command:trigger.gone' : 'slack.save-shortcut:trigger.gone';
    await vi.waitFor(async () => expect((await queue.outcome(id)).status).toBe('failed'));
    expect((await queue.failed())[0]).toMatchObject({ id, attempts: 1, reason: expect.stringMatching(/chat.postEphemeral failed: the bot cannot see this channel/) });
    expect(h.fake.callsTo('chat.postEphemeral')).toHaveLength(1);
  });

  it('with the queue down: the command is refused in its ack, the shortcut ephemeral; nothing changes', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Not now.', 'carl', 'general');
    await queue.close(0);
    const url = h.fake.responseUrl();
    const refused = await command(h, 'map quiet', ADMIN, RANDOM, 'trigger.down', url);
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/can't take `\/restyle map quiet` right now/) });
    expect((await saveShortcut(h, ts, 'Not now.', 'trigger.sc-down', h.fake.responseUrl())).status).toBe(200);
    await h.settle();
    expect(h.fake.callsTo('chat.postEphemeral').map((c) => String(c.args.text))).toEqual([expect.stringMatching(/can't take your save right now/)]);
    expect(await h.ctx.restyler.channels.resolve(`slack:${RANDOM}`)).toBeNull();
    expect(await samples(h)).toEqual([]);
    // The ack carried the refusal: nothing else was sent to the command's response_url.
    expect(shownAt(h, url)).toEqual([]);
  });
});
