import * as z from 'zod';
import type { PostDelivery } from '../../src/bot/preview.js';
import type { JobQueue } from '../../src/queue/types.js';
import { toRestyleError } from '../../src/errors.js';
import type { SlackDeps } from './deps.js';
import { readButtonPress } from './button-press.js';
import { tellCannotTake, tellPressGaveUp } from './job-replies.js';

export const POST_PREVIEW_JOB = 'slack.preview-post';

const postPayload = z.object({
  user: z.string().min(1),
  channel: z.string(),
  previewId: z.string().min(1),
  responseUrl: z.string().optional(),
});
type PostPayload = z.infer<typeof postPayload>;

/** The job for a press of a preview's Post button, or null for any other request. */
export function postPreviewJobFor(body: unknown): { id: string; payload: PostPayload } | null {
  const p = readButtonPress(body);
  // A second press finds the preview taken, so it posts nothing.
  if (!p || p.prefix !== 'restyle' || p.action !== 'post') return null;
  const payload: PostPayload = { user: p.user, channel: p.channel, previewId: p.value, ...(p.responseUrl !== undefined ? { responseUrl: p.responseUrl } : {}) };
  return { id: `${POST_PREVIEW_JOB}:${p.value}:${p.press}`, payload };
}

/**
 * Record before acknowledging (inside Bolt's ack(), like ./answer-job.ts): when the queue cannot be
 * written the presser is told that Post cannot be taken now, rather than a silent ack of a post that never comes.
 */
export function postPreviewIntake(queue: JobQueue, deps: Pick<SlackDeps, 'client' | 'logger'>): (body: unknown) => Promise<void> {
  return async (body) => {
    const job = postPreviewJobFor(body);
    if (!job) return;
    try {
      await queue.enqueue({ kind: POST_PREVIEW_JOB, ...job });
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message, channel: job.payload.channel }, 'slack: could not queue a Post press; telling the user');
      const text = "I can't take your Post right now (my work queue is unavailable), so nothing was posted. Please press Post again in a minute.";
      await tellCannotTake(deps, { channel: job.payload.channel, user: job.payload.user }, text);
    }
  };
}

/** The worker side: post once (the ts is saved before the job is done), then replace the preview. */
export function postPreviewJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<PostPayload>(POST_PREVIEW_JOB, {
    parse: (payload) => postPayload.parse(payload),
    async run(p, job) {
      const actor = await deps.directory.actor(p.user);
      // Tagged with the job id, so a rerun after a crash between Slack's `ok` and saving the ts finds the post.
      const tag = { id: job.id, ...(job.attempt > 1 ? { since: job.createdAt } : {}) };
      const reply = await deps.bot.postOnce({ actor, id: p.previewId }, { state: postState(job.state), save: (patch) => job.save(patch), job: tag });
      // Kept for the process that acked, which shows it again after its "Posting…" (./job-replies.ts followJob).
      await job.save({ reply });
      // Posted (or refused for good): telling the user must not make the job run again; response_url lives 30 minutes.
      await deps.shower
        .show(reply, { channel: p.channel, user: p.user, fromButton: true, ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}) })
        .catch((error: unknown) => deps.logger.warn({ err: toRestyleError(error).message }, 'slack: posted, but could not tell the user'));
      await job.save({ shown: true });
    },
    gaveUp: (p, job, reason) => tellPressGaveUp(deps, job, p, reason),
  });
}

/** What earlier attempts saved, read defensively (it may come from an older version). */
export function postState(state: Readonly<Record<string, unknown>>): PostDelivery['state'] {
  const posted = Array.isArray(state.posted) ? state.posted.filter((id): id is string => typeof id === 'string') : undefined;
  return {
    ...(state.taking === true ? { taking: true } : {}),
    ...(posted ? { posted } : {}),
    ...(typeof state.style === 'string' ? { style: state.style } : {}),
  };
}
