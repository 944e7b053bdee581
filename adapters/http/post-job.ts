import { randomUUID } from 'node:crypto';
import type { PostJob } from '../../src/bot/types.js';
import { RestyleError, toRestyleError, type ErrorCode } from '../../src/errors.js';
import { settled } from '../../src/queue/settle.js';
import type { JobOutcome, JobQueue } from '../../src/queue/types.js';
import { sha256 } from '../../src/util/hash.js';
import type { Answer } from './idempotency.js';
import type { PostBody, PostResponse } from './post.js';

export const POST_JOB = 'http.post';
/** How long `POST /v1/post` waits for its job before answering 202 (the job goes on and posts later). */
export const POST_WAIT_MS = 25_000;

/** Runs one post; `record` durably keeps the answer once the platform accepted the message. */
export type PostOnce = (body: PostBody, record: (response: PostResponse) => Promise<void>, job: PostJob) => Promise<PostResponse>;

/**
 * `POST /v1/post` through the queue: the request is written as a job before anything is posted, and
 * answered with the job's result (200), its error, or 202 when it is still being retried. The job keeps
 * the platform's answer before it is marked done, so a job run again (a crash, a retry) never posts twice.
 */
export function durablePosts(queue: JobQueue, post: PostOnce, parse: (payload: unknown) => PostBody, waitMs = POST_WAIT_MS) {
  const saved = new SavedAnswers();
  queue.handle<PostBody>(POST_JOB, {
    parse,
    async run(body, job) {
      if (job.state.response) return;
      const record = async (response: PostResponse): Promise<void> => {
        const kept = job.save({ response });
        // A request waiting here keeps the answer for its key while the job keeps the post (it answers once
        // both are written), not after the job's save, its bookkeeping and a look-up.
        const told = saved.tell(job.id, { status: 'done', state: { response } }, kept);
        await kept;
        // The store first writes what that request keeps for its key, then the bookkeeping.
        if (told) await new Promise((resolve) => setImmediate(resolve));
      };
      try {
        // Tagged with the job; a rerun first looks for a post made before a crash kept its id.
        await post(body, record, { id: job.id, ...(job.attempt > 1 ? { since: job.createdAt } : {}) });
      } catch (error) {
        const e = toRestyleError(error);
        // Kept for the waiting request, which answers with the platform's own refusal.
        if (!e.retryable) await job.save({ error: e.toJSON() }).catch(() => {});
        throw error;
      }
    },
  });

  return {
    /** Write the job; resolves once it is durable. Same key, same job. */
    async record(key: string | undefined, body: PostBody): Promise<RecordedPost> {
      const id = `${POST_JOB}:${key === undefined ? randomUUID() : sha256(key)}`;
      const enqueued = await cannotTakeUnless(queue.enqueue({ kind: POST_JOB, id, payload: body }));
      return { id, failedBefore: enqueued.failed === true };
    },
    /**
     * Under the key's claim (one request at a time): a job an earlier request with this key left failed is
     * replaced by this request's, so a failed post keeps nothing and its retry runs again, with its own body.
     */
    async renew(post: RecordedPost, body: PostBody): Promise<void> {
      if (!post.failedBefore) return;
      await cannotTakeUnless(queue.drop(post.id));
      await cannotTakeUnless(queue.enqueue({ kind: POST_JOB, id: post.id, payload: body }));
    },
    /**
     * The job's answer: 200 with the post, its error, or 202 while it is still being retried. `keep` writes
     * the answer for the request's key (Idempotency.run): for a job of this process, while the job keeps it.
     */
    answer: (id: string, keep?: (result: Answer) => Promise<void>) => answer(queue, id, waitMs, saved, keep),
  };
}

/** A post's job as its request recorded it. */
export interface RecordedPost {
  id: string;
  /** An earlier request with the same key left its job failed: nothing was recorded now (see `renew`). */
  failedBefore: boolean;
}

/** The queue's write, or 503 "cannot take the post now" saying nothing was posted. */
async function cannotTakeUnless<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw new RestyleError('store_unavailable', `cannot take the post now (nothing was posted; retry later): ${toRestyleError(error).message}`, { cause: error, retryable: true, details: { status: 503 } });
  }
}

/** Told with the answer, and the job's write of it (`kept`), still under way. */
type Listener = (outcome: JobOutcome, kept: Promise<void>) => void;

/** Answers the jobs of this process saved, for the requests of this process waiting for them. */
class SavedAnswers {
  private readonly waiting = new Map<string, Set<Listener>>();

  listen = (id: string, listener: Listener): (() => void) => {
    let set = this.waiting.get(id);
    if (!set) this.waiting.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.waiting.get(id) === set) this.waiting.delete(id);
    };
  };

  /** True when a request here was waiting for it. */
  tell(id: string, outcome: JobOutcome, kept: Promise<void>): boolean {
    const listeners = [...(this.waiting.get(id) ?? [])];
    for (const listener of listeners) listener(outcome, kept);
    return listeners.length > 0;
  }
}

async function answer(queue: JobQueue, id: string, waitMs: number, saved: SavedAnswers, keep?: (result: Answer) => Promise<void>): Promise<Answer> {
  const deadline = Date.now() + waitMs;
  let outcome: JobOutcome;
  for (;;) {
    let kept: Promise<void> | undefined;
    const known = (jobId: string, listener: (outcome: JobOutcome) => void) => saved.listen(jobId, (told, write) => ((kept = write), listener(told)));
    outcome = await settled(queue, id, Math.max(0, deadline - Date.now()), { known });
    const response = outcome.state.response;
    if (!response) break;
    const result = { status: 200, body: response };
    if (!kept) return result;
    // Told by the job here: the post is made; the job keeps it as the key keeps this answer, both before
    // it goes out. Should the job fail to keep it, the answer is its rerun's (which finds the post).
    const [job] = await Promise.allSettled([kept, keep?.(result)]);
    if (job.status === 'fulfilled') return result;
  }
  if (outcome.status === 'failed') {
    // The job's saved error, else its failure reason (`code: message`, see src/queue/policy.ts).
    const parsed = /^([a-z_]+): ([\s\S]*)$/.exec(outcome.reason ?? '');
    const e = (outcome.state.error ?? { code: parsed?.[1], message: parsed?.[2] ?? outcome.reason }) as { code?: ErrorCode; message?: string; details?: Record<string, unknown> };
    throw new RestyleError(e.code ?? 'platform_error', e.message ?? 'the post failed', e.details ? { details: e.details } : {});
  }
  return { status: 202, body: { ok: true, queued: true, job: id, message: 'accepted: the post is queued and will be retried until the platform takes it' } };
}
