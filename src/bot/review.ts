import type { Sample } from '../samples/types.js';
import type { BotContext } from './context.js';
import { failed, finished, note } from './replies.js';
import type { Actor, Place, Reply, ReviewAction } from './types.js';

/** A verdict in flight: two reviewers pressing at once cannot both decide. */
const REVIEW_CLAIM_TTL_MS = 60_000;

/** `/restyle review`: the next pending sample (this channel's first), with Approve/Reject. Reviewers only. */
export async function nextReview(ctx: BotContext, input: { actor: Actor; place: Place }, previous?: string): Promise<Reply> {
  const allowed = ctx.permissions.canReview(input.actor);
  if (!allowed.ok) return note(`Not allowed: ${allowed.reason}.`);
  const { sample, pending } = await ctx.samples.nextPending({ channel: input.place.key });
  if (!sample) return previous ? finished(`${previous} No more samples waiting for review.`) : note('No samples waiting for review.');
  return reviewCard(sample, pending, previous);
}

/** Approve or Reject pressed on a review card: record it, then show the next card in its place. */
export async function pressReview(ctx: BotContext, input: { actor: Actor; place: Place; action: ReviewAction; id: string }): Promise<Reply> {
  const allowed = ctx.permissions.canReview(input.actor);
  if (!allowed.ok) return note(`Not allowed: ${allowed.reason}.`);
  const claimKey = `review:${input.id}`;
  let verdictNote: string;
  try {
    if (!(await ctx.store.claim(claimKey, REVIEW_CLAIM_TTL_MS))) return note('Another reviewer is deciding on this sample right now.');
    try {
      const sample = await ctx.samples.get(input.id);
      if (!sample) verdictNote = 'That sample no longer exists (deleted or forgotten).';
      else if (sample.status !== 'pending') verdictNote = `That sample was already ${sample.status}${sample.reviewedBy ? ` by ${sample.reviewedBy}` : ''}.`;
      else {
        const verdict = input.action === 'approve' ? 'approved' : 'rejected';
        await ctx.samples.review(input.id, verdict, input.actor.key, ctx.now());
        verdictNote = verdict === 'approved' ? 'Approved.' : 'Rejected.';
      }
    } finally {
      await ctx.store.release(claimKey).catch(() => undefined);
    }
  } catch (error) {
    return failed('Not recorded', error);
  }
  return nextReview(ctx, input, verdictNote);
}

function reviewCard(sample: Sample, pending: number, previous?: string): Reply {
  return {
    kind: 'review',
    id: sample.id,
    style: sample.style,
    channel: sample.channel,
    styled: sample.styled,
    ...(sample.neutral !== undefined ? { neutral: sample.neutral } : {}),
    savedBy: sample.savedBy,
    remaining: pending,
    ...(previous ? { note: previous } : {}),
  };
}
