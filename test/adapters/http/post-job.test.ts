/**
 * `durablePosts` (the queued `/v1/post`) on both engines: a request waiting in the process that runs its job
 * is answered the moment the job has kept the platform's answer — not when the job's bookkeeping after it
 * (the reply origin) is over and the queue marks it done — and a job that fails still answers with why.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { durablePosts, type PostOnce } from '../../../adapters/http/post-job.js';
import type { PostBody, PostResponse } from '../../../adapters/http/post.js';
import { RestyleError } from '../../../src/errors.js';
import type { JobHandler, JobQueue } from '../../../src/queue/types.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';

const open: JobQueue[] = [];
afterEach(async () => {
  for (const q of open.splice(0)) await q.close(0);
});

const parse = (payload: unknown): PostBody => payload as PostBody;

/** The queue, with each job's `save` going through `gate` first: a store slow or failing under the job. */
function gatedSaves(q: JobQueue, gate: () => Promise<void>): JobQueue {
  return {
    kind: q.kind,
    location: q.location,
    enqueue: (job) => q.enqueue(job),
    handle<P>(kind: string, handler: JobHandler<P>) {
      q.handle<P>(kind, {
        parse: handler.parse,
        run: (payload, job) =>
          handler.run(payload, {
            id: job.id,
            kind: job.kind,
            attempt: job.attempt,
            createdAt: job.createdAt,
            state: job.state,
            save: async (patch) => {
              await gate();
              await job.save(patch);
            },
          }),
      });
    },
    start: (options) => q.start(options),
    outcome: (id) => q.outcome(id),
    onSettled: (listener) => q.onSettled(listener),
    failed: (limit) => q.failed(limit),
    retry: (id) => q.retry(id),
    drop: (id) => q.drop(id),
    stats: () => q.stats(),
    ping: () => q.ping(),
    close: (graceMs) => q.close(graceMs),
  };
}
const responseTo = (body: PostBody): PostResponse => ({ ok: true, channel: body.channel, id: '1700000000.000100', ids: ['1700000000.000100'], text: body.text.toUpperCase(), styled: true, style: 'loud', fallbacks: 0 });

async function queueFor(kind: QueueKind): Promise<JobQueue> {
  const q = await openTestQueue(kind, { backoffMs: 50, attempts: 3 });
  open.push(q);
  return q;
}

describe.each<QueueKind>(['sqlite', 'redis'])('durablePosts on the %s queue', (kind) => {
  it('answers 200 once the job kept the post, while its bookkeeping still runs', async () => {
    const q = await queueFor(kind);
    let finishBookkeeping = (): void => {};
    const bookkeeping = new Promise<void>((resolve) => (finishBookkeeping = resolve));
    const post: PostOnce = async (body, record) => {
      const response = responseTo(body);
      await record(response);
      await bookkeeping; // e.g. recording the reply's origin for 👍/👎
      return response;
    };
    const posts = durablePosts(q, post, parse);
    await q.start();
    const { id } = await posts.record('key-early', { channel: 'slack:CGENERAL', text: 'hello' });
    const answer = await posts.answer(id);
    expect(answer).toEqual({ status: 200, body: responseTo({ channel: 'slack:CGENERAL', text: 'hello' }) });
    // Answered before the job was done: what it kept is already in the queue for any other waiter.
    expect(await q.outcome(id)).toMatchObject({ status: 'pending', state: { response: { id: '1700000000.000100' } } });
    finishBookkeeping();
    await vi.waitFor(async () => expect((await q.outcome(id)).status).toBe('done'));
    // A later request for the same job (a retry after the key's lock ran out) hears the same answer.
    expect(await posts.answer(id)).toEqual(answer);
  });

  it("answers with the platform's refusal when the job fails", async () => {
    const q = await queueFor(kind);
    const post: PostOnce = async () => {
      throw new RestyleError('platform_refused', 'Slack refused the post: not_in_channel', { details: { platformError: 'not_in_channel' } });
    };
    const posts = durablePosts(q, post, parse);
    await q.start();
    const { id } = await posts.record('key-refused', { channel: 'slack:CGENERAL', text: 'nobody hears' });
    await expect(posts.answer(id)).rejects.toMatchObject({ code: 'platform_refused', message: expect.stringContaining('not_in_channel') });
  });

  it('a job an earlier request with the key left failed is run anew, with the new body, by the next request under the key\'s claim', async () => {
    const q = await queueFor(kind);
    const tried: string[] = [];
    const post: PostOnce = async (body, record) => {
      tried.push(body.text);
      if (body.channel === 'slack:CGONE') throw new RestyleError('platform_refused', 'Slack refused the post: channel_not_found');
      await record(responseTo(body));
      return responseTo(body);
    };
    const posts = durablePosts(q, post, parse);
    await q.start();
    const first = await posts.record('key-again', { channel: 'slack:CGONE', text: 'to a channel that is gone' });
    expect(first.failedBefore).toBe(false);
    await expect(posts.answer(first.id)).rejects.toMatchObject({ code: 'platform_refused' });
    // The caller fixes the channel and sends again with the same key: its post runs, not the old failure.
    const body = { channel: 'slack:CGENERAL', text: 'to the right channel' };
    const again = await posts.record('key-again', body);
    expect(again).toEqual({ id: first.id, failedBefore: true });
    await posts.renew(again, body);
    expect(await posts.answer(again.id)).toEqual({ status: 200, body: responseTo(body) });
    expect(tried).toEqual(['to a channel that is gone', 'to the right channel']);
  });

  it('answers the moment the post is made, while the job still writes it down', async () => {
    const q = await queueFor(kind);
    let openSave = (): void => {};
    const saveGate = new Promise<void>((resolve) => (openSave = resolve));
    const post: PostOnce = async (body, record) => {
      await record(responseTo(body));
      return responseTo(body);
    };
    const posts = durablePosts(gatedSaves(q, () => saveGate), post, parse);
    await q.start();
    const body = { channel: 'slack:CGENERAL', text: 'at once' };
    const { id } = await posts.record('key-parallel', body);
    // The job's write of the post is held: the request has its answer all the same.
    expect(await posts.answer(id)).toEqual({ status: 200, body: responseTo(body) });
    expect(await q.outcome(id)).toMatchObject({ status: 'pending', state: {} });
    openSave();
    await vi.waitFor(async () => expect(await q.outcome(id)).toMatchObject({ status: 'done', state: { response: responseTo(body) } }));
  });

  it('a job that could not keep its post is run again (a rerun finds the post); the request has its answer from the first', async () => {
    const q = await queueFor(kind);
    let saves = 0;
    const failFirst = async (): Promise<void> => {
      if (++saves === 1) throw new RestyleError('store_unavailable', 'the store went away under the job', { retryable: true });
    };
    const runs: Array<number | undefined> = [];
    // A real rerun finds the message the first run posted by the job's id (post-once.test.ts): the same id.
    const post: PostOnce = async (body, record, job) => {
      runs.push(job.since);
      await record(responseTo(body));
      return responseTo(body);
    };
    const posts = durablePosts(gatedSaves(q, failFirst), post, parse);
    await q.start();
    const { id } = await posts.record('key-unkept', { channel: 'slack:CGENERAL', text: 'again' });
    expect(await posts.answer(id)).toEqual({ status: 200, body: responseTo({ channel: 'slack:CGENERAL', text: 'again' }) });
    await vi.waitFor(async () => expect(await q.outcome(id)).toMatchObject({ status: 'done', state: { response: { id: '1700000000.000100' } } }));
    // The rerun was told to look for the first run's post (since the job was created) before posting.
    expect(runs).toHaveLength(2);
    expect(runs[0]).toBeUndefined();
    expect(runs[1]).toEqual(expect.any(Number));
  });

  it("hands a job run here the channel's mapping its request read while recording it, and only for that channel", async () => {
    const q = await queueFor(kind);
    const given = new Map<string, string | null | undefined>();
    const post: PostOnce = async (body, record, _job, mapping) => {
      given.set(body.text, mapping === undefined ? undefined : ((await mapping)?.style ?? null));
      await record(responseTo(body));
      return responseTo(body);
    };
    const reads: string[] = [];
    const readMapping = (body: PostBody) => {
      reads.push(body.channel);
      return Promise.resolve({ channel: body.channel, style: `style-of-${body.channel}`, source: 'store' as const });
    };
    const posts = durablePosts(q, post, parse, { readMapping });
    // Recorded before any job runs, so each case is set up before its job starts.
    const read = await posts.record('key-ahead', { channel: 'slack:CGENERAL', text: 'read ahead' });
    // The same key again, with another body (a mismatch Idempotency refuses): the job keeps its first body,
    // and the mapping read for the other channel must not reach it.
    const other = await posts.record('key-other', { channel: 'slack:CGENERAL', text: 'first body' });
    await posts.record('key-other', { channel: 'slack:CRANDOM', text: 'second body' });
    // Its request answered and gone (202, or the job ran elsewhere): a later run reads the mapping itself.
    const gone = await posts.record('key-gone', { channel: 'slack:CGENERAL', text: 'request gone' });
    posts.release(gone);
    await q.start();
    for (const { id } of [read, other, gone]) expect(await posts.answer(id)).toMatchObject({ status: 200 });
    expect(Object.fromEntries(given)).toEqual({ 'read ahead': 'style-of-slack:CGENERAL', 'first body': undefined, 'request gone': undefined });
    expect(reads).toEqual(['slack:CGENERAL', 'slack:CGENERAL', 'slack:CRANDOM', 'slack:CGENERAL']);
  });
});
