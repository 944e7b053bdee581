import * as z from 'zod';
import type { ReviewAction } from '../../src/bot/types.js';
import type { JobContext, JobQueue } from '../../src/queue/types.js';
import { toRestyleError } from '../../src/errors.js';
import { slackPlace } from './convert.js';
import type { SlackDeps } from './deps.js';
import { replyOnce, tellCannotTake, tellPressGaveUp } from './job-replies.js';
import { postState } from './post-preview-job.js';
import { EDIT_BLOCK, EDIT_CALLBACK, EDIT_INPUT } from './render.js';
import { readButtonPress } from './button-press.js';

/** Save / Discard on a preview, Approve / Reject on a review card. */
export const PRESS_JOB = 'slack.press';
/** The Edit modal's submission (post the edited text, save the pair). */
export const EDIT_JOB = 'slack.edit';

const PRESSES = ['save', 'discard', 'approve', 'reject'] as const;

const pressPayload = z.object({
  user: z.string().min(1),
  channel: z.string(),
  thread: z.string().optional(),
  action: z.enum(PRESSES),
  id: z.string().min(1),
  responseUrl: z.string().optional(),
});
type PressPayload = z.infer<typeof pressPayload>;

const editPayload = z.object({
  user: z.string().min(1),
  previewId: z.string().min(1),
  text: z.string(),
  channel: z.string(),
  responseUrl: z.string().optional(),
});
type EditPayload = z.infer<typeof editPayload>;

/** What a person reads while the press is being done (see followJob). */
export const WORKING: Record<PressPayload['action'] | 'post' | 'edit', string> = {
  save: 'Saving…',
  discard: 'Discarding…',
  approve: 'Recording your verdict…',
  reject: 'Recording your verdict…',
  post: 'Posting…',
  edit: 'Posting your edit…',
};

/** The job for a Save/Discard/Approve/Reject press, or null for any other request. */
export function pressJobFor(body: unknown): { id: string; payload: PressPayload } | null {
  const p = readButtonPress(body);
  const kind = p?.action as PressPayload['action'] | undefined;
  if (!p || !kind || !PRESSES.includes(kind)) return null;
  const payload: PressPayload = {
    user: p.user,
    channel: p.channel,
    ...(p.thread ? { thread: p.thread } : {}),
    action: kind,
    id: p.value,
    ...(p.responseUrl !== undefined ? { responseUrl: p.responseUrl } : {}),
  };
  return { id: `${PRESS_JOB}:${kind}:${p.value}:${p.press}`, payload };
}

/** The job for a submitted Edit modal, or null for any other request (or a modal that is not ours). */
export function editJobFor(body: unknown): { id: string; payload: EditPayload } | null {
  const b = body as { type?: unknown; user?: { id?: unknown }; trigger_id?: unknown; view?: { id?: unknown; callback_id?: unknown; private_metadata?: unknown; state?: { values?: Record<string, Record<string, { value?: unknown }>> } } } | null;
  if (b?.type !== 'view_submission' || b.view?.callback_id !== EDIT_CALLBACK || typeof b.user?.id !== 'string') return null;
  const meta = editMeta(b.view.private_metadata);
  if (!meta) return null;
  const value = b.view.state?.values?.[EDIT_BLOCK]?.[EDIT_INPUT]?.value;
  // A submission closes the modal: one submission is one job (Slack does not resend it; trigger_id tells two apart).
  const submission = typeof b.trigger_id === 'string' ? b.trigger_id : String(b.view.id ?? '');
  const payload: EditPayload = {
    user: b.user.id,
    previewId: meta.id,
    text: typeof value === 'string' ? value : '',
    channel: meta.channel ?? '',
    ...(meta.responseUrl ? { responseUrl: meta.responseUrl } : {}),
  };
  return { id: `${EDIT_JOB}:${meta.id}:${submission}`, payload };
}

/**
 * Record before acknowledging. A press that cannot be recorded is answered with an ephemeral "cannot take
 * it now" (the preview or card stays, to press again); an Edit submission keeps the modal open with the
 * reason (the ack carries it), so the edited text is not lost.
 */
export function pressIntake(queue: JobQueue, deps: Pick<SlackDeps, 'client' | 'logger'>): (body: unknown) => Promise<unknown> {
  return async (body) => {
    const press = pressJobFor(body);
    if (press) {
      try {
        await queue.enqueue({ kind: PRESS_JOB, ...press });
      } catch (error) {
        deps.logger.warn({ err: toRestyleError(error).message, channel: press.payload.channel }, 'slack: could not queue a press; telling the user');
        const text = `I can't take your ${press.payload.action} press right now (my work queue is unavailable), so nothing was changed. Please press it again in a minute.`;
        await tellCannotTake(deps, { channel: press.payload.channel, user: press.payload.user }, text);
      }
      return undefined;
    }
    const edit = editJobFor(body);
    if (!edit) return undefined;
    try {
      await queue.enqueue({ kind: EDIT_JOB, ...edit });
      return undefined;
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message }, 'slack: could not queue an edit; keeping the editor open');
      return { response_action: 'errors', errors: { [EDIT_BLOCK]: "I can't take your edit right now (my work queue is unavailable), so nothing was posted. Please submit again in a minute." } };
    }
  };
}

/** The worker side: each press and edit decided once, its reply shown once (./job-replies.ts). */
export function pressJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<PressPayload>(PRESS_JOB, {
    parse: (payload) => pressPayload.parse(payload),
    async run(p, job) {
      const target = { channel: p.channel, user: p.user, fromButton: true, ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}) };
      await replyOnce(job, deps, target, async () => {
        const actor = await deps.directory.actor(p.user);
        if (p.action === 'approve' || p.action === 'reject') return deps.bot.press({ actor, place: slackPlace(p.channel, p.thread), action: p.action satisfies ReviewAction, id: p.id });
        return deps.bot.pressOnce({ actor, action: p.action, id: p.id }, delivery(job));
      });
    },
    gaveUp: (p, job, reason) => tellPressGaveUp(deps, job, p, reason),
  });
  queue.handle<EditPayload>(EDIT_JOB, {
    parse: (payload) => editPayload.parse(payload),
    async run(p, job) {
      const target = { channel: p.channel, user: p.user, fromButton: true, ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}) };
      await replyOnce(job, deps, target, async () => {
        const actor = await deps.directory.actor(p.user);
        return deps.bot.submitEditOnce({ actor, id: p.previewId, text: p.text }, delivery(job));
      });
    },
    gaveUp: (p, job, reason) => tellPressGaveUp(deps, job, p, reason),
  });
}

/** What a preview use case needs from the job: its saved state, and its id for tagging posts (rerun: look first). */
function delivery(job: JobContext) {
  return {
    state: postState(job.state),
    save: (patch: Record<string, unknown>) => job.save(patch),
    job: { id: job.id, ...(job.attempt > 1 ? { since: job.createdAt } : {}) },
  };
}

/** The Edit modal's private_metadata (written by `editModal`); null when it is not ours. */
export function editMeta(raw: unknown): { id: string; responseUrl?: string; channel?: string } | null {
  let meta: unknown;
  try {
    meta = JSON.parse(typeof raw === 'string' && raw ? raw : 'null');
  } catch {
    return null;
  }
  if (typeof meta !== 'object' || meta === null) return null;
  const m = meta as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') return null;
  return {
    id: m.id,
    ...(typeof m.responseUrl === 'string' ? { responseUrl: m.responseUrl } : {}),
    ...(typeof m.channel === 'string' ? { channel: m.channel } : {}),
  };
}
