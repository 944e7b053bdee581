/**
 * Discord through the durable queue, on SQLite and on Redis: mentions, interactions, reactions and deletes
 * are recorded (under an id from the event, so a replayed event is the same job) before they are
 * acknowledged, then done by a job. What the queue adds beyond the contract (contract-queue.test.ts): the
 * job exists once the deferral is sent, replays add nothing, an unwritable queue is said to the user, an
 * expired interaction token falls back to a DM, a refused channel fails the job once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobHandler, JobQueue } from '../../../src/queue/types.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';
import { idFor, startDiscordHarness, userKey, type DiscordHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const ANSWER_PROMPT = 'ANSWER-SOURCE';
let h: DiscordHarness | undefined;

const model = useFakeOpenAI();
beforeEach(() => {
  model.reset();
  model.setResponder((body) => {
    const user = String(body.messages.at(-1).content);
    return String(body.messages[0].content) === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
  });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(kind: QueueKind, options: { startQueue?: boolean; wrap?: (queue: JobQueue) => JobQueue } = {}): Promise<{ x: DiscordHarness; queue: JobQueue; ran: string[] }> {
  const opened = await openTestQueue(kind, { backoffMs: 50, maxBackoffMs: 500, attempts: 4 });
  const queue = options.wrap ? options.wrap(opened) : opened;
  const ran: string[] = [];
  queue.onSettled((id) => ran.push(id));
  h = await startDiscordHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`discord:${idFor('channel', 'general')}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT } },
    },
    env: { OPENAI_API_KEY: 'sk-discord', OPENAI_BASE_URL: model.url },
    queue,
    ...(options.startQueue !== undefined ? { startQueue: options.startQueue } : {}),
  });
  return { x: h, queue, ran };
}

const dms = (x: DiscordHarness, name: string) => x.ephemerals(userKey(name)).map((e) => e.text);
const callbacks = (x: DiscordHarness, id: string) => x.fake.events.filter((e) => e.interactionId === id && e.kind === 'callback');

describe.each<QueueKind>(['sqlite', 'redis'])('Discord jobs on the %s queue', (kind) => {
  it('a mention is answered once by its job; the same MESSAGE_CREATE delivered again adds nothing', async () => {
    const { x, queue } = await start(kind);
    const general = await x.channel('general');
    const asked = await x.mention('when is the release?', 'ana', 'general');
    await x.settle();
    const job = `discord.answer:${general.id}:${asked}`;
    const outcome = await queue.outcome(job);
    const posts = x.posts().filter((p) => p.thread === asked);
    expect(posts.map((p) => p.text)).toEqual(['ANSWER TO WHEN IS THE RELEASE?']);
    expect(outcome).toMatchObject({ status: 'done', state: { posted: [posts[0]!.id] } });

    await x.push('MESSAGE_CREATE', x.fake.messagePayload(x.fake.message(asked)!));
    await x.settle();
    expect(x.posts().filter((p) => p.thread === asked)).toHaveLength(1);
  });

  it('an answer job run again after dying between Discord\'s answer and the record finds its post instead of posting again', async () => {
    // The first attempt's record of the posted ids fails, as if the process died right after Discord answered.
    const dies = (queue: JobQueue): JobQueue =>
      new Proxy(queue, {
        get(target, key) {
          if (key !== 'handle') return (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target);
          return (kind: string, handler: JobHandler) =>
            target.handle(kind, {
              parse: (payload) => handler.parse(payload),
              run: (payload, job) => {
                if (kind !== 'discord.answer' || job.attempt > 1) return handler.run(payload, job);
                const save = async (patch: Record<string, unknown>) => (patch.posted ? Promise.reject(new Error('died before recording the post')) : job.save(patch));
                return handler.run(payload, new Proxy(job, { get: (j, k) => (k === 'save' ? save : Reflect.get(j, k)) }));
              },
            });
        },
      });
    const { x, queue } = await start(kind, { wrap: dies });
    const general = await x.channel('general');
    const asked = await x.mention('is it done?', 'ana', 'general');
    await x.settle();
    const posts = x.posts().filter((p) => p.thread === asked);
    expect(posts).toHaveLength(1);
    // The rerun looked (GET) and posted nothing: not even a nonce-deduplicated second create.
    expect(x.fake.requestsTo('POST', new RegExp(`^/channels/${general.id}/messages$`))).toHaveLength(1);
    expect(await queue.outcome(`discord.answer:${general.id}:${asked}`)).toMatchObject({ status: 'done', state: { posted: [posts[0]!.id] } });
  });

  it('/restyle is deferred with its job recorded before the work runs; Post posts once, also when the press is delivered again', async () => {
    const { x, queue, ran } = await start(kind, { startQueue: false });
    const i = await x.slash('text', { text: 'Release at noon.' }, 'ana', 'general');
    await vi.waitFor(() => expect(callbacks(x, i.id).map((e) => e.type)).toEqual([5]));
    // Deferred, not done: the work waits in the queue (nothing would be lost if the process died now).
    expect((await queue.outcome(`discord.interaction:${i.id}`)).status).toBe('pending');
    expect(x.shownFor(i)).toEqual([]);
    await queue.start();
    await x.settle();
    const preview = x.shownFor(i).at(-1)!;
    expect(preview.text).toMatch(/^RELEASE AT NOON\./);
    const previewId = preview.buttons.find((b) => b.action === 'post')!.id;

    await x.press('post', previewId, 'ana', 'general');
    await x.settle();
    const press = x.fake.events.filter((e) => e.kind === 'callback' && e.type === 6).at(-1)!;
    const pressed = x.fake.interaction(press.interactionId)!;
    await x.push('INTERACTION_CREATE', pressed.payload);
    await x.settle();
    expect(x.posts().map((p) => p.text)).toEqual([`RELEASE AT NOON.\n-# Posted by <@${x.user('ana')}> with /restyle (style \`loud\`)`]);
    expect(await queue.outcome(`discord.interaction:${pressed.id}`)).toMatchObject({ status: 'done', state: { posted: [x.posts()[0]!.id] } });
    expect(x.shownFor(pressed).map((e) => [e.text, e.replaced])).toEqual([['Posted in style `loud`.', true]]);
    expect(ran.filter((id) => id === `discord.interaction:${pressed.id}`)).toHaveLength(1);
  });

  it('a job started in this process waits for its interaction\'s deferral: its model call comes after Discord answered it', async () => {
    const { x } = await start(kind);
    // Discord takes 300 ms to answer the deferral. On SQLite the job is handed to a free slot here at once,
    // and would call the model meanwhile (competing with the ack, and editing a reply not yet deferred).
    x.fake.setLatency(300, 'POST', /^\/interactions\/\d+\/[^/]+\/callback$/);
    const calls = model.requests.length;
    const i = await x.slash('text', { text: 'Release at noon.' }, 'ana', 'general');
    await x.settle();
    const [deferral] = x.fake.requestsTo('POST', new RegExp(`^/interactions/${i.id}/`));
    expect(callbacks(x, i.id).map((e) => e.type)).toEqual([5]);
    expect(x.shownFor(i).at(-1)!.text).toMatch(/^RELEASE AT NOON\./);
    const modelCalls = model.requests.slice(calls);
    expect(modelCalls.length).toBeGreaterThan(0);
    for (const call of modelCalls) expect(call.at).toBeGreaterThanOrEqual(deferral!.at + 300);
  });

  it('⭐ and its replay save one sample with one DM; 👍/👎 and a delete go through jobs too', async () => {
    const { x, ran } = await start(kind);
    const msg = await x.seedMessage('A line worth keeping.', 'carl', 'general');
    await x.react(msg, 'star', 'ana', 'general');
    await x.react(msg, 'star', 'ana', 'general');
    await x.settle();
    expect(await new SampleRepository(x.ctx.store).list()).toMatchObject([{ messageId: msg, source: 'reaction', savedBy: userKey('ana') }]);
    expect(dms(x, 'ana')).toEqual([expect.stringMatching(/^Saved as a sample for style `loud`/)]);
    expect(ran.filter((id) => id.startsWith(`discord.reaction:${msg}:`))).toHaveLength(1);

    const asked = await x.mention('status?', 'ben', 'general');
    await x.settle();
    const answer = x.posts().find((p) => p.thread === asked)!;
    await x.react(answer.id, '+1', 'ben', 'general');
    await x.settle();
    expect(dms(x, 'ben').at(-1)).toMatch(/^Thanks: saved this reply as a sample pair for style `loud`/);
    await x.unreact(answer.id, '+1', 'ben', 'general');
    await x.settle();
    expect(dms(x, 'ben').at(-1)).toBe('Taken back: your 👍 and the sample pair it saved are removed.');
    await x.react(answer.id, '-1', 'carl', 'general');
    await x.settle();
    expect(dms(x, 'carl').at(-1)).toMatch(/^Noted: 👎 on this `loud` reply is kept for evaluation/);
    expect(ran.filter((id) => id.startsWith(`discord.reaction:${answer.id}:`))).toHaveLength(3);

    await x.deleteMessage(msg, 'general');
    await x.settle();
    expect(await new SampleRepository(x.ctx.store).list()).not.toContainEqual(expect.objectContaining({ messageId: msg }));
    expect(ran).toContain(`discord.delete:${(await x.channel('general')).id}:${msg}`);
  });

  it('when the queue cannot be written, the user is told (ephemeral, or by DM for gateway events) and nothing is done', async () => {
    const { x, queue } = await start(kind);
    const msg = await x.seedMessage('Keep me.', 'carl', 'general');
    await queue.close(0);
    const i = await x.slash('text', { text: 'Release at noon.' }, 'ana', 'general');
    await x.mention('anyone there?', 'ben', 'general');
    await x.react(msg, 'star', 'carl', 'general');
    await x.settle();
    expect(callbacks(x, i.id).map((e) => [e.type, e.body.data.flags])).toEqual([[4, 64]]);
    expect(x.shownFor(i).map((e) => e.text)).toEqual(["I can't take this right now (my work queue is unavailable), so nothing was done. Please try again in a minute."]);
    expect(dms(x, 'ben')).toEqual([expect.stringMatching(/^I can't take this request right now \(my work queue is unavailable\)/)]);
    expect(dms(x, 'carl')).toEqual([expect.stringMatching(/^I can't take your reaction right now .* nothing was done/)]);
    expect(x.posts()).toEqual([]);
    expect(await new SampleRepository(x.ctx.store).list()).toEqual([]);
    expect(model.requests).toHaveLength(0);
  });

  it('a job whose interaction token expired tells the user by DM; with DMs closed it fails once with the reason', async () => {
    const { x, queue } = await start(kind, { startQueue: false });
    const first = await x.slash('text', { text: 'Late news.' }, 'ana', 'general');
    const second = await x.slash('text', { text: 'Later news.' }, 'ben', 'general');
    await vi.waitFor(() => expect([...callbacks(x, first.id), ...callbacks(x, second.id)]).toHaveLength(2));
    // The jobs run 16 minutes later (a long outage): the webhook tokens (15 min) are gone.
    for (const i of [first, second]) x.fake.interaction(i.id)!.createdAt -= 16 * 60_000;
    x.fake.failNext('POST', /^\/users\/@me\/channels$/, { status: 403, code: 50007, message: 'Cannot send messages to this user' }, 1);
    await queue.start();
    await x.settle();
    const outcomes = await Promise.all([first, second].map((i) => queue.outcome(`discord.interaction:${i.id}`)));
    const told = outcomes.filter((o) => o.status === 'done');
    const refused = outcomes.filter((o) => o.status === 'failed');
    expect(told).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatch(/platform_refused: .*interaction expired .* does not accept direct messages; the work itself was done/);
    expect((await queue.failed()).map((f) => f.attempts)).toEqual([1]);
    const dmed = [...dms(x, 'ana'), ...dms(x, 'ben')];
    expect(dmed).toEqual([expect.stringMatching(/^(LATE|LATER) NEWS\./)]);
  });

  it('a job for a channel the bot can no longer see fails once with Discord\'s error, not forever', async () => {
    const { x, queue } = await start(kind, { startQueue: false });
    const general = await x.channel('general');
    const asked = await x.mention('are you there?', 'ana', 'general');
    await vi.waitFor(async () => expect((await queue.outcome(`discord.answer:${general.id}:${asked}`)).status).toBe('pending'));
    x.fake.failNext('POST', new RegExp(`^/channels/${general.id}/messages$`), { status: 403, code: 50001, message: 'Missing Access' }, 10);
    await queue.start();
    await x.settle();
    const failed = await queue.failed();
    expect(failed).toMatchObject([{ id: `discord.answer:${general.id}:${asked}`, attempts: 1 }]);
    expect(failed[0]!.reason).toMatch(/the bot cannot see this channel/);
    expect(x.fake.requestsTo('POST', new RegExp(`^/channels/${general.id}/messages$`))).toHaveLength(1);
    // The asker is told by DM why no answer comes, once.
    expect(dms(x, 'ana')).toEqual([expect.stringMatching(/^Sorry, my answer to your message did not go through: .*the bot cannot see this channel.*Please try again\.$/)]);
  });

  it('an interaction whose job gives up is answered with why, instead of "thinking…" until Discord gives up', async () => {
    const { x, queue } = await start(kind);
    // Every attempt of the Post finds Discord down (5xx): discord.js retries, the queue retries, then gives up.
    const general = await x.channel('general');
    const i = await x.slash('text', { text: 'Ship it.' }, 'ana', 'general');
    await x.settle();
    const previewId = x.shownFor(i).at(-1)!.buttons.find((b) => b.action === 'post')!.id;
    x.fake.failNext('POST', new RegExp(`^/channels/${general.id}/messages$`), { status: 503 }, 100);
    await x.press('post', previewId, 'ana', 'general');
    await x.settle();
    const press = x.fake.events.filter((e) => e.kind === 'callback' && e.type === 6).at(-1)!;
    await vi.waitFor(async () => expect((await queue.outcome(`discord.interaction:${press.interactionId}`)).status).toBe('failed'));
    const pressed = x.fake.interaction(press.interactionId)!;
    expect(x.shownFor(pressed).map((e) => e.text)).toEqual([expect.stringMatching(/^Sorry, this did not go through: .*Please try again\.$/)]);
  });
});

describe('a queue that does not answer (a network partition to Redis)', () => {
  it('tells the user within Discord\'s 3 s that the interaction may not be done, instead of "interaction failed"', async () => {
    // Writes hang; everything else is the real queue.
    const stalled = (queue: JobQueue): JobQueue =>
      new Proxy(queue, {
        get: (target, key) => (key === 'enqueue' ? () => new Promise(() => undefined) : (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target)),
      });
    const { x } = await start('sqlite', { wrap: stalled });
    const i = await x.slash('text', { text: 'Release at noon.' }, 'ana', 'general');
    await vi.waitFor(() => expect(callbacks(x, i.id)).toHaveLength(1), { timeout: 10_000 });
    expect(callbacks(x, i.id).map((e) => [e.type, e.body.data.flags])).toEqual([[4, 64]]);
    expect(x.shownFor(i).map((e) => e.text)).toEqual([expect.stringMatching(/^I couldn't record this in time \(my work queue is not answering\), so it may not be done/)]);
    expect(x.fake.interaction(i.id)!.ackType).toBe(4);
  });
});
