/**
 * Slack presses, the Edit modal, 👍/👎 and deleted messages through the durable queue: recorded inside Bolt's
 * ack() under an id from the payload (a redelivery is the same job), each effect once, the person told once
 * — on SQLite and on Redis. (The whole use-case contract also runs queued: ./contract-queued.test.ts.)
 */
import { describe, expect, it, vi } from 'vitest';
import { openSqliteDb } from '../../../src/queue/sqlite-db.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { ReplyOrigins } from '../../../src/bot/origins.js';
import { FeedbackRepository } from '../../../src/samples/feedback.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { buttonPayload, interactionRequest, viewSubmissionPayload } from '../../fakes/slack.js';
import type { QueueKind } from '../../support/queue.js';
import { channelId, queuedSlackHarnesses, userId, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const CHANNEL = channelId('general');
const ANA = userId('ana');
const RITA = userId('rita');

const model = useFakeOpenAI({ responder: (body) => String(body.messages.at(-1).content).toUpperCase() });
const startQueued = queuedSlackHarnesses();

function start(kind: QueueKind): Promise<{ h: SlackHarness; queue: JobQueue }> {
  return startQueued(kind, {
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${CHANNEL}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      bot: { reviewers: [`slack:${RITA}`] },
    },
    env: { OPENAI_API_KEY: 'sk-pr', OPENAI_BASE_URL: model.url },
  });
}

const samples = (h: SlackHarness) => new SampleRepository(h.ctx.store as never).list();
const button = (h: SlackHarness, user: string, action: string): string => {
  const id = h.ephemerals(`slack:${user}`).at(-1)?.buttons.find((b) => b.action === action)?.id;
  expect(id, `a ${action} button`).toBeDefined();
  return id!;
};
/** `/restyle TEXT` as ana; the preview's id. */
async function preview(h: SlackHarness, text: string): Promise<string> {
  await h.command(text, 'ana', 'general');
  await h.settle();
  return button(h, ANA, 'post');
}
/** A signed press; the same `triggerId` is the same interaction delivered again. The response_url is the presser's. */
function press(h: SlackHarness, actionId: string, value: string, user: string, triggerId: string, responseUrl = h.fake.responseUrl()) {
  return h.send(interactionRequest(buttonPayload({ actionId, value, user, channel: CHANNEL, responseUrl, triggerId })));
}
/** What the response_url of one press was sent, in order. */
const shownAt = (h: SlackHarness, url: string) => h.fake.responses.filter((r) => url.endsWith(`/${r.id}`)).map((r) => String(r.body.text));

describe.each<QueueKind>(['sqlite', 'redis'])('Slack presses through the %s queue', (kind) => {
  it('Save pressed, redelivered and double-clicked: one sample, one "Saved" replacing the preview', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Saved words.');
    const url = h.fake.responseUrl();
    expect((await press(h, 'restyle_save', id, ANA, 'trigger.save', url)).status).toBe(200);
    // Recorded before the 200.
    expect((await queue.outcome(`slack.press:save:${id}:trigger.save`)).status).not.toBe('unknown');
    await press(h, 'restyle_save', id, ANA, 'trigger.save', url); // redelivered: the same job
    await press(h, 'restyle_save', id, ANA, 'trigger.again'); // a double click: a job that finds the preview used
    await h.settle();

    const all = await samples(h);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: 'pair', source: 'preview', neutral: 'Saved words.', styled: 'SAVED WORDS.', savedBy: `slack:${ANA}` });
    expect(shownAt(h, url).filter((t) => /^Saved the pair/.test(t))).toHaveLength(1);
    expect(h.fake.responses.filter((r) => /^Saved the pair/.test(String(r.body.text))).every((r) => r.body.replace_original === true)).toBe(true);
  });

  it('Approve redelivered applies the verdict once; a second press says it was already decided', async () => {
    const { h, queue } = await start(kind);
    await h.react(await h.seedMessage('A sample to judge.', 'carl', 'general'), 'star', 'ana', 'general');
    await h.settle();
    await h.command('review', 'rita', 'general');
    await h.settle();
    const sampleId = button(h, RITA, 'approve');
    const url = h.fake.responseUrl();
    await press(h, 'review_approve', sampleId, RITA, 'trigger.ok', url);
    await press(h, 'review_approve', sampleId, RITA, 'trigger.ok', url);
    await h.settle();
    const [judged] = await samples(h);
    expect(judged).toMatchObject({ status: 'approved', reviewedBy: `slack:${RITA}` });
    const reviewedAt = judged!.reviewedAt;
    expect(shownAt(h, url)).toEqual([expect.stringMatching(/^Approved\. No more samples/)]);
    expect((await queue.outcome(`slack.press:approve:${sampleId}:trigger.ok`)).status).toBe('done');

    const late = h.fake.responseUrl();
    await press(h, 'review_reject', sampleId, RITA, 'trigger.late', late);
    await h.settle();
    expect(shownAt(h, late)).toEqual([expect.stringMatching(/already approved/)]);
    expect((await samples(h))[0]).toMatchObject({ status: 'approved', reviewedAt });
  });

  it('an Edit submission posts once and saves the pair once, also when it is delivered twice', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Draft text.');
    await h.press('edit', id, 'ana', 'general');
    await h.settle();
    const meta = String(h.fake.callsTo('views.open').at(-1)!.args.view.private_metadata);
    const submission = viewSubmissionPayload({ callbackId: 'restyle_edit', user: ANA, privateMetadata: meta, values: { styled: { text: { type: 'plain_text_input', value: 'DRAFT, polished.' } } } });
    const first = await h.send(interactionRequest(submission));
    // The ack closes the modal (no errors in it); the job posts.
    expect(first).toMatchObject({ status: 200 });
    expect(first.body).not.toContain('errors');
    await h.send(interactionRequest(submission));
    await h.settle();
    expect(h.posts(`slack:${CHANNEL}`).map((p) => p.text)).toEqual([expect.stringContaining('DRAFT, polished.')]);
    expect(await samples(h)).toEqual([expect.objectContaining({ source: 'edit', neutral: 'Draft text.', styled: 'DRAFT, polished.' })]);
    expect((await queue.outcome(`slack.edit:${id}:${String(submission.trigger_id)}`)).status).toBe('done');
    expect(h.ephemerals().at(-1)).toMatchObject({ replaced: true, text: expect.stringMatching(/^Posted your edit and saved the pair/) });
  });

  it('👍 on a bot reply saves the pair once and tells once, also when Slack redelivers it; removing it takes it back', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Shipped.');
    await press(h, 'restyle_post', id, ANA, 'trigger.post');
    await h.settle();
    const [reply] = h.posts(`slack:${CHANNEL}`);
    expect(reply).toBeDefined();
    const thumbs = { type: 'reaction_added', user: ANA, reaction: '+1', item_user: h.fake.bot.userId, item: { type: 'message', channel: CHANNEL, ts: reply!.id } };
    const first = await h.event(thumbs);
    expect((await queue.outcome(`slack.reaction:${first.eventId}`)).status).not.toBe('unknown');
    await h.event(thumbs, { eventId: first.eventId, retryNum: 1 });
    await h.settle();
    const told = () => h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === ANA).map((c) => String(c.args.text));
    expect(told()).toEqual([expect.stringMatching(/^Thanks: saved this reply as a sample pair for style `loud`/)]);
    expect(await samples(h)).toEqual([expect.objectContaining({ source: 'feedback', styled: 'SHIPPED.' })]);
    expect(await new FeedbackRepository(h.ctx.store).list()).toEqual([expect.objectContaining({ verdict: 'up', user: `slack:${ANA}` })]);

    await h.event({ ...thumbs, type: 'reaction_removed' });
    await h.settle();
    expect(told().at(-1)).toMatch(/^Taken back/);
    expect(await samples(h)).toEqual([]);
    expect(await new FeedbackRepository(h.ctx.store).list()).toEqual([]);
  });

  it('👍 on a message the bot did not post makes no job', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Just people talking.', 'carl', 'general');
    const sent = await h.event({ type: 'reaction_added', user: ANA, reaction: '+1', item_user: userId('carl'), item: { type: 'message', channel: CHANNEL, ts } });
    expect(sent.status).toBe(200);
    expect((await queue.outcome(`slack.reaction:${sent.eventId}`)).status).toBe('unknown');
  });

  it('a deleted message deletes its sample through a job; the redelivered event changes nothing', async () => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Soon gone.', 'carl', 'general');
    await h.react(ts, 'star', 'ana', 'general');
    await h.settle();
    expect(await samples(h)).toHaveLength(1);
    const deleted = { type: 'message', subtype: 'message_deleted', hidden: true, channel: CHANNEL, channel_type: 'channel', ts: '1800000000.000100', deleted_ts: ts };
    const first = await h.event(deleted);
    expect(first.status).toBe(200);
    expect((await queue.outcome(`slack.message-deleted:${first.eventId}`)).status).not.toBe('unknown');
    await h.event(deleted, { eventId: first.eventId, retryNum: 1 });
    await h.settle();
    expect(await samples(h)).toEqual([]);
    expect((await queue.outcome(`slack.message-deleted:${first.eventId}`)).status).toBe('done');
  });
});

describe.each<QueueKind>(['sqlite', 'redis'])("Slack jobs for a channel the bot has left (%s): fail once with Slack's error", (kind) => {
  it.each([
    ['channel_not_found', /the bot cannot see this channel/],
    ['not_in_channel', /the bot is not in this channel/],
    ['is_archived', /the channel is archived/],
  ])('a Save whose reply cannot be shown (response_url gone, %s) fails once; the sample is saved once', async (code, said) => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Left behind.');
    h.fake.failResponses(404, 5);
    h.fake.failNext('chat.postEphemeral', { error: code }, 5);
    await press(h, 'restyle_save', id, ANA, 'trigger.gone');
    await vi.waitFor(async () => expect(await queue.failed()).toHaveLength(1));
    const [failed] = await queue.failed();
    expect(failed).toMatchObject({ id: `slack.press:save:${id}:trigger.gone`, attempts: 1 });
    expect(failed!.reason).toMatch(/chat.postEphemeral failed: /);
    expect(failed!.reason).toMatch(said);
    // The job's reply once, and the give-up note once (it fails the same way): neither retried.
    await vi.waitFor(() => expect(h.fake.callsTo('chat.postEphemeral')).toHaveLength(2));
    expect(h.fake.callsTo('chat.postEphemeral').map((c) => String(c.args.text))[1]).toMatch(/^Sorry, that did not go through: /);
    expect(await samples(h)).toHaveLength(1);
  });

  it.each([
    ['⭐', 'star', 'carl'],
    ['👍', '+1', 'bot'],
  ])('a %s whose channel is gone fails once', async (_label, reaction, author) => {
    const { h, queue } = await start(kind);
    const ts = await h.seedMessage('Somewhere.', 'carl', 'general');
    h.fake.failNext('conversations.history', { error: 'channel_not_found' }, 5);
    h.fake.failNext('chat.postEphemeral', { error: 'channel_not_found' }, 5);
    const item_user = author === 'bot' ? h.fake.bot.userId : userId(author);
    // 👍 on a reply the bot restyled (its origin recorded), so the job has something to say.
    if (author === 'bot') await new ReplyOrigins(h.ctx.store).record({ key: `slack:${CHANNEL}` }, [ts], { style: 'loud', model: 'loud-1', neutral: 'somewhere.', styled: 'Somewhere.' });
    const sent = await h.event({ type: 'reaction_added', user: ANA, reaction, item_user, item: { type: 'message', channel: CHANNEL, ts } });
    await vi.waitFor(async () => expect((await queue.outcome(`slack.reaction:${sent.eventId}`)).status).toBe('failed'));
    expect((await queue.failed())[0]).toMatchObject({ attempts: 1, reason: expect.stringMatching(/cannot see this channel/) });
    expect(h.fake.callsTo('chat.postEphemeral')).toHaveLength(1);
  });

  it('an Edit Slack refuses to post (not_in_channel) is posted nowhere, said once, and not retried', async () => {
    const { h, queue } = await start(kind);
    const id = await preview(h, 'Edit me.');
    await h.press('edit', id, 'ana', 'general');
    await h.settle();
    h.fake.failNext('chat.postMessage', { error: 'not_in_channel' }, 5);
    await h.submitEdit(id, 'EDITED.', 'ana', 'general');
    await h.settle();
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.ephemerals(`slack:${ANA}`).at(-1)!.text).toMatch(/^Not posted: .*not in this channel/);
    expect(await queue.failed()).toEqual([]);
    expect(await samples(h)).toEqual([]);
  });
});

describe('a queued Edit run again after it posted but before it recorded the ts (a crash in between)', () => {
  it('finds its post by the job id in the metadata, posts nothing more, and saves the pair once', async () => {
    const { h, queue } = await start('sqlite');
    const id = await preview(h, 'Once only.');
    await h.press('edit', id, 'ana', 'general');
    await h.settle();
    const previews = h.ctx.store.ns('previews');
    const pending = await previews.get(id);
    await h.submitEdit(id, 'ONCE ONLY, edited.', 'ana', 'general');
    await h.settle();
    const [posted] = h.posts(`slack:${CHANNEL}`);
    const jobId = h.fake.messages(CHANNEL).find((m) => m.ts === posted!.id)!.metadata as { event_payload: { job: string } };
    expect(jobId.event_payload.job).toMatch(/^slack\.edit:/);
    const calls = h.fake.callsTo('chat.postMessage').length;
    // As a SIGKILL between Slack's `ok` and `job.save` leaves it: the preview taken but still there, no pair
    // saved yet, the job waiting again with nothing recorded but `taking`.
    await previews.set(id, pending);
    for (const sample of await samples(h)) await new SampleRepository(h.ctx.store as never).delete(sample.id);
    const db = await openSqliteDb(queue.location, 5_000);
    expect((await db.run(`UPDATE restyle_jobs SET status = 'waiting', finished_at = NULL, state = '{"taking":true}' WHERE id = ?`, jobId.event_payload.job)).changes).toBe(1);
    await db.close();
    await vi.waitFor(async () => expect((await queue.outcome(jobId.event_payload.job)).status).toBe('done'));
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(calls);
    expect(h.posts(`slack:${CHANNEL}`)).toHaveLength(1);
    expect(await samples(h)).toEqual([expect.objectContaining({ source: 'edit', styled: 'ONCE ONLY, edited.' })]);
    expect((await queue.outcome(jobId.event_payload.job)).state.posted).toEqual([posted!.id]);
    // It looked: the channel's history read with message metadata.
    expect(h.fake.callsTo('conversations.history').at(-1)!.args).toMatchObject({ channel: CHANNEL, include_all_metadata: 'true' });
  });
});

describe('a queued press that takes a while', () => {
  it('shows "Posting…" in place of the preview while the job waits, then the result', async () => {
    const { h } = await start('sqlite');
    const id = await preview(h, 'Slow news.');
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    h.fake.handle('chat.postMessage', async (args) => {
      await gate;
      return { ok: true, channel: args.channel, ts: '1800000000.000200' };
    });
    const url = h.fake.responseUrl();
    expect((await press(h, 'restyle_post', id, ANA, 'trigger.slow', url)).status).toBe(200);
    await vi.waitFor(() => expect(shownAt(h, url)).toEqual(['Posting…']), { timeout: 10_000 });
    open();
    await h.settle();
    // The job's reply came after "Posting…" landed: shown once, not again by the listener.
    expect(shownAt(h, url)).toEqual(['Posting…', expect.stringMatching(/^Posted in style `loud`/)]);
    expect(h.fake.responses.filter((r) => url.endsWith(`/${r.id}`)).every((r) => r.body.replace_original === true)).toBe(true);
  });

  it('says why when the job gives up (its retries used up), instead of leaving "Posting…"', async () => {
    const { h, queue } = await start('sqlite');
    const id = await preview(h, 'Never lands.');
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    h.fake.handle('chat.postMessage', async () => {
      await gate;
      throw new Error('Slack is down'); // the fake answers HTTP 500: retried, every time
    });
    const url = h.fake.responseUrl();
    await press(h, 'restyle_post', id, ANA, 'trigger.doomed', url);
    await vi.waitFor(() => expect(shownAt(h, url)).toEqual(['Posting…']), { timeout: 10_000 });
    open();
    await vi.waitFor(async () => expect((await queue.outcome(`slack.preview-post:${id}:trigger.doomed`)).status).toBe('failed'), { timeout: 20_000 });
    await h.settle();
    // Said once, by the job giving up (the process that acked sees it was said and does not repeat it).
    expect(shownAt(h, url)).toEqual(['Posting…', expect.stringMatching(/^Sorry, that did not go through: .*gave up after 5 attempts.*Please try again\.$/)]);
  });

  it('a press job that gives up in a process nobody follows it from (the acking one died) still tells the presser', async () => {
    const { h, queue } = await start('sqlite');
    const id = await preview(h, 'Orphaned.');
    h.fake.handle('chat.postMessage', () => {
      throw new Error('Slack is down'); // HTTP 500 every time: retried until the job gives up
    });
    const url = h.fake.responseUrl();
    // Recorded as the intake does, but with no process following it (no "Posting…", no followJob).
    const jobId = `slack.preview-post:${id}:trigger.orphan`;
    await queue.enqueue({ kind: 'slack.preview-post', id: jobId, payload: { user: ANA, channel: CHANNEL, previewId: id, responseUrl: url } });
    await vi.waitFor(async () => expect((await queue.outcome(jobId)).status).toBe('failed'), { timeout: 20_000 });
    expect(shownAt(h, url)).toEqual([expect.stringMatching(/^Sorry, that did not go through: .*Please try again\.$/)]);
    expect(h.fake.responses.filter((r) => url.endsWith(`/${r.id}`)).every((r) => r.body.replace_original === true)).toBe(true);
  });
});
