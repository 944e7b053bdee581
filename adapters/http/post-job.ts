import { randomUUID } from 'node:crypto';
import type { PostJob } from '../../src/bot/types.js';
import type { ChannelMapping } from '../../src/restyle/channel-mappings.js';
import { RestyleError, toRestyleError, type ErrorCode } from '../../src/errors.js';
import { settled } from '../../src/queue/settle.js';
import type { JobOutcome, JobQueue } from '../../src/queue/types.js';
import { sha256 } from '../../src/util/hash.js';
import type { Answer } from './idempotency.js';
import type { PostBody, PostResponse } from './post.js';

export const POST_JOB = 'http.post';
/** How long `POST /v1/post` waits for its job before answering 202 (the job goes on and posts later). */
export const POST_WAIT_MS = 25_000;

/**
 * Runs one post; `record` durably keeps the answer once the platform accepted the message. `mapping`: the
 * channel's mapping, read while the request recorded the job (when the job runs in the request's process).
 */
export type PostOnce = (body: PostBody, record: (response: PostResponse) => Promise<void>, job: PostJob, mapping?: Promise<ChannelMapping | null>) => Promise<PostResponse>;

export interface DurablePostOptions {
  /** How long a request waits for its job before answering 202 (POST_WAIT_MS). */
  waitMs?: number;
  /**
   * Reads the channel's mapping for a body (undefined: none needed), started as the job is written, so a
   * job run in this process has it without a store round trip of its own after the queue's pick-up.
   */
  readMapping?(body: PostBody): Promise<ChannelMapping | null> | undefined;
}

/**
 * `POST /v1/post` through the queue: the request is written as a job before anything is posted, and
 * answered with the job's result (200), its error, or 202 when it is still being retried. The job keeps
 * the platform's answer before it is marked done, so a job run again (a crash, a retry) never posts twice.
 */
export function durablePosts(queue: JobQueue, post: PostOnce, parse: (payload: unknown) => PostBody, options: DurablePostOptions = {}) {
  const { waitMs = POST_WAIT_MS } = options;
  const saved = new SavedAnswers();
  // Mappings read by the requests recording jobs, by job id; the request drops its own when it answers.
  const ahead = new Map<string, { channel: string; mapping: Promise<ChannelMapping | null> }>();
  queue.handle<PostBody>(POST_JOB, {
    parse,
    async run(body, job) {
      if (job.state.response) return;
      const record = async (response: PostResponse): Promise<void> => {
        const kept = job.save({ response });
        // A request waiting here answers now, while the job keeps the post and the key the answer, not after
        // the job's save, its bookkeeping and a look-up.
        const told = saved.tell(job.id, { status: 'done', state: { response } });
        await kept;
        // That request answers (and queues its key's write) before this job's bookkeeping (the reply's origin,
        // the queue's finish) takes the event loop: on SQLite those writes would otherwise run ahead of it.
        if (told) await new Promise((resolve) => setImmediate(resolve));
      };
      try {
        // Tagged with the job; a rerun first looks for a post made before a crash kept its id.
        // Only for the channel it was read for: another request with the job's key may carry another body.
        const read = ahead.get(job.id);
        const mapping = read?.channel === body.channel ? read.mapping : undefined;
        await post(body, record, { id: job.id, ...(job.attempt > 1 ? { since: job.createdAt } : {}) }, mapping);
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
      const mapping = options.readMapping?.(body);
      if (mapping) {
        mapping.catch(() => {}); // a failed read is the job's to meet (it awaits it), or nobody's
        ahead.set(id, { channel: body.channel, mapping });
      }
      try {
        const enqueued = await cannotTakeUnless(queue.enqueue({ kind: POST_JOB, id, payload: body }));
        return { id, failedBefore: enqueued.failed === true };
      } catch (error) {
        ahead.delete(id);
        throw error;
      }
    },
    /** The request is answered: a job of its that runs later reads the mapping itself. */
    release(post: RecordedPost): void {
      ahead.delete(post.id);
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
    /** The job's answer: 200 with the post, its error, or 202 while it is still being retried. */
    answer: (id: string) => answer(queue, id, waitMs, saved),
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

/** Told the answer while the job's write of it is still under way. */
type Listener = (outcome: JobOutcome) => void;

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
  tell(id: string, outcome: JobOutcome): boolean {
    const listeners = [...(this.waiting.get(id) ?? [])];
    for (const listener of listeners) listener(outcome);
    return listeners.length > 0;
  }
}

async function answer(queue: JobQueue, id: string, waitMs: number, saved: SavedAnswers): Promise<Answer> {
  const outcome = await settled(queue, id, waitMs, { known: saved.listen });
  const response = outcome.state.response;
  // Told by the job here, the post is made and the job's write of it under way; the answer goes out beside
  // that write and the key's (Idempotency.run). Should the job's fail, its rerun finds the post (by the
  // job's id) rather than making another, so the answer given stays true.
  if (response) return { status: 200, body: response };
  if (outcome.status === 'failed') {
    // The job's saved error, else its failure reason (`code: message`, see src/queue/policy.ts).
    const parsed = /^([a-z_]+): ([\s\S]*)$/.exec(outcome.reason ?? '');
    const e = (outcome.state.error ?? { code: parsed?.[1], message: parsed?.[2] ?? outcome.reason }) as { code?: ErrorCode; message?: string; details?: Record<string, unknown> };
    throw new RestyleError(e.code ?? 'platform_error', e.message ?? 'the post failed', e.details ? { details: e.details } : {});
  }
  return { status: 202, body: { ok: true, queued: true, job: id, message: 'accepted: the post is queued and will be retried until the platform takes it' } };
}
