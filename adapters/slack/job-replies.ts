import type { Reply } from '../../src/bot/types.js';
import type { JobContext, JobOutcome, JobQueue } from '../../src/queue/types.js';
import { gaveUpText } from '../../src/bot/replies.js';
import { toRestyleError } from '../../src/errors.js';
import { escapeSlack } from '../../src/restyle/slack-text.js';
import type { SlackDeps } from './deps.js';
import { slackError } from './errors.js';
import type { ShowTarget } from './show.js';

/** How long a press may take before the person is shown that it is being done. */
const QUICK_MS = 1_500;
/** How long the process that acked follows the job, to show its result after the "working" line. */
const FOLLOW_MS = 5 * 60_000;

/**
 * Compute a job's reply once and show it once: the reply is saved before it is shown and `shown` after, so
 * a rerun shows the same reply (not "Already saved" for its own save) or nothing. `compute` may throw for
 * the queue to retry.
 */
export async function replyOnce(job: JobContext, deps: Pick<SlackDeps, 'shower'>, target: ShowTarget, compute: () => Promise<Reply | null>): Promise<void> {
  if (job.state.shown) return;
  let reply = job.state.reply as Reply | null | undefined;
  if (reply === undefined) {
    reply = await compute();
    await job.save({ reply });
  }
  if (reply) await deps.shower.show(reply, target);
  await job.save({ shown: true });
}

/**
 * A press's job given up for good (`JobHandler.gaveUp`, in whichever process ran it): the pressed message
 * says why, in place of "Posting…", so the presser hears even when the process that acked is gone or has
 * stopped following. Marked in the job's state, so `followJob` does not say it again.
 */
export async function tellPressGaveUp(deps: Pick<SlackDeps, 'shower'>, job: JobContext, presser: { channel: string; user: string; responseUrl?: string | undefined }, reason: string): Promise<void> {
  const target: ShowTarget = { channel: presser.channel, user: presser.user, ...(presser.responseUrl ? { responseUrl: presser.responseUrl } : {}), fromButton: true };
  await deps.shower.show({ kind: 'done', text: escapeSlack(gaveUpText('that', reason)), ephemeral: true, replace: true }, target);
  await job.save({ toldGaveUp: true });
}

/** Tell a person (ephemeral) that their request could not be recorded; a failure to tell is only logged. */
export async function tellCannotTake(deps: Pick<SlackDeps, 'client' | 'logger'>, where: { channel: string; user: string; thread?: string }, text: string): Promise<void> {
  if (!where.channel) return;
  await deps.client.chat
    .postEphemeral({ channel: where.channel, user: where.user, text, ...(where.thread ? { thread_ts: where.thread } : {}) })
    .catch((e: unknown) => deps.logger.warn({ err: slackError(e, 'chat.postEphemeral').message }, 'slack: could not tell the user either'));
}

/**
 * Keep the presser informed while a queued press is done (after the ack, never holding it): when the job
 * has not finished within QUICK_MS, the pressed message is replaced by `working` (its buttons go, so it
 * cannot be pressed twice); if the job had its reply ready by the time "working" landed (it may have shown
 * it just before), the reply is shown again once the job is done; a job that failed for good says why.
 * Best effort, never throws.
 */
export async function followJob(queue: JobQueue, deps: Pick<SlackDeps, 'shower' | 'logger' | 'stopping'>, id: string, target: ShowTarget, working: string): Promise<void> {
  const signal = deps.stopping;
  const show = (reply: Reply): Promise<void> =>
    deps.shower.show(reply, { ...target, fromButton: true }).catch((error: unknown) => deps.logger.warn({ err: toRestyleError(error).message, job: id }, 'slack: could not update the pressed message'));
  const first = await outcomeWithin(queue, id, QUICK_MS, signal);
  if (first?.status !== 'pending') return;
  // Never recorded (the intake told the presser it could not take it), or the queue cannot be read: nothing to follow.
  const now = await queue.outcome(id).catch(() => undefined);
  if (now?.status !== 'pending' || signal?.aborted) return;
  await show({ kind: 'done', text: working, ephemeral: true, replace: true });
  // A job saves its reply before showing it: one not saved yet is shown after "working" landed, nothing to redo.
  const raced = (await queue.outcome(id).catch(() => undefined))?.state.reply !== undefined;
  const last = await outcomeWithin(queue, id, FOLLOW_MS, signal);
  if (raced && last?.status === 'done' && last.state.reply) await show(last.state.reply as Reply);
  if (last?.status === 'failed' && !last.state.toldGaveUp) await show({ kind: 'done', text: `That did not go through: ${last.reason ?? 'the job failed'}. Please try again.`, ephemeral: true, replace: true });
}

/**
 * The job's outcome once it is done or failed, `pending` at the deadline, undefined when the queue cannot
 * be read (closed) or the adapter stops. Its timers never hold the process open.
 */
function outcomeWithin(queue: JobQueue, id: string, ms: number, signal?: AbortSignal): Promise<JobOutcome | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    let over = false;
    const finish = (outcome: JobOutcome | undefined): void => {
      if (over) return;
      over = true;
      off();
      signal?.removeEventListener('abort', stop);
      clearInterval(poll);
      clearTimeout(timer);
      resolve(outcome);
    };
    const check = (): void => {
      queue.outcome(id).then(
        (o) => (o.status === 'done' || o.status === 'failed' ? finish(o) : undefined),
        () => finish(undefined),
      );
    };
    const off = queue.onSettled((settled) => settled === id && check());
    const poll = setInterval(check, 250);
    const timer = setTimeout(() => finish({ status: 'pending', state: {} }), ms);
    const stop = (): void => finish(undefined);
    signal?.addEventListener('abort', stop);
    poll.unref();
    timer.unref();
    check();
  });
}
