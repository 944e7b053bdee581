/**
 * `durablePosts` (the queued `/v1/post`) on both engines: a request waiting in the process that runs its job
 * is answered the moment the job has kept the platform's answer — not when the job's bookkeeping after it
 * (the reply origin) is over and the queue marks it done — and a job that fails still answers with why.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { durablePosts, type PostOnce } from '../../../adapters/http/post-job.js';
import type { PostBody, PostResponse } from '../../../adapters/http/post.js';
import { RestyleError } from '../../../src/errors.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';

const open: JobQueue[] = [];
afterEach(async () => {
  for (const q of open.splice(0)) await q.close(0);
});

const parse = (payload: unknown): PostBody => payload as PostBody;
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
    const id = await posts.record('key-early', { channel: 'slack:CGENERAL', text: 'hello' });
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
    const id = await posts.record('key-refused', { channel: 'slack:CGENERAL', text: 'nobody hears' });
    await expect(posts.answer(id)).rejects.toMatchObject({ code: 'platform_refused', message: expect.stringContaining('not_in_channel') });
  });
});
