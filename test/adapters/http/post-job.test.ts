/**
 * `durablePosts` (the queued `/v1/post`) on both engines: a request waiting in the process that runs its job
 * is answered the moment the job has kept the platform's answer — not when the job's bookkeeping after it
 * (the reply origin) is over and the queue marks it done — and a job that fails still answers with why.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { durablePosts, type PostOnce } from '../../../adapters/http/post-job.js';
import type { PostBody, PostResponse } from '../../../adapters/http/post.js';
import { RestyleError } from '../../../src/errors.js';
import type { Answer } from '../../../adapters/http/idempotency.js';
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

  it("writes the answer for the request's key while the job keeps the post, and answers once both are written", async () => {
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
    const forKey: Answer[] = [];
    let answered = false;
    const answering = posts.answer(id, async (result) => void forKey.push(result)).then((a) => ((answered = true), a));
    // The key has its answer while the job's own write still waits…
    await vi.waitFor(() => expect(forKey).toEqual([{ status: 200, body: responseTo(body) }]));
    await new Promise((resolve) => setImmediate(resolve));
    // …but the request answers only once the job has kept the post too.
    expect(answered).toBe(false);
    openSave();
    expect(await answering).toEqual({ status: 200, body: responseTo(body) });
    await vi.waitFor(async () => expect(await q.outcome(id)).toMatchObject({ status: 'done', state: { response: responseTo(body) } }));
  });

  it('a job that could not keep its post is run again, and the request answers with what the rerun kept', async () => {
    const q = await queueFor(kind);
    let saves = 0;
    const failFirst = async (): Promise<void> => {
      if (++saves === 1) throw new RestyleError('store_unavailable', 'the store went away under the job', { retryable: true });
    };
    let runs = 0;
    // Each run answers with its own id; a real rerun finds the message the first run posted (post-once.test.ts).
    const post: PostOnce = async (body, record) => {
      const response = { ...responseTo(body), id: `run-${++runs}` };
      await record(response);
      return response;
    };
    const posts = durablePosts(gatedSaves(q, failFirst), post, parse);
    await q.start();
    const { id } = await posts.record('key-unkept', { channel: 'slack:CGENERAL', text: 'again' });
    const forKey: Answer[] = [];
    const answer = await posts.answer(id, async (result) => void forKey.push(result));
    expect(answer).toMatchObject({ status: 200, body: { id: 'run-2' } });
    expect(runs).toBe(2);
    // The key's answer was written for each run; the last is the one the request gave.
    expect(forKey.at(-1)).toEqual(answer);
    await vi.waitFor(async () => expect(await q.outcome(id)).toMatchObject({ status: 'done', state: { response: { id: 'run-2' } } }));
  });
});
