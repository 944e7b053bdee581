import { FeedbackRepository } from '../samples/feedback.js';
import type { Sample } from '../samples/types.js';
import type { BotContext } from './context.js';
import { failed, note } from './replies.js';
import { claimAndSave, feedbackSampleId, unconfirmed } from './save-sample.js';
import type { Actor, Place, Reply } from './types.js';

/**
 * 👍/👎 on a restyled reply, found through its recorded origin (`store.ns('replies')`). 👍 saves the
 * (neutral → styled) pair as a sample and records the verdict; 👎 records the verdict for evaluation.
 * Reactions on messages the bot did not restyle are ignored (null).
 */
export async function giveFeedback(ctx: BotContext, input: { actor: Actor; place: Place; messageId: string; verdict: 'up' | 'down' }): Promise<Reply | null> {
  const { actor, place, messageId, verdict } = input;
  const origin = await ctx.origins.find(place, messageId);
  if (!origin || origin.style === null) return null;
  const style = origin.style;
  try {
    await ctx.feedback.record({
      id: FeedbackRepository.idFor(place.key, messageId, actor.key),
      verdict,
      style,
      model: origin.model,
      channel: place.key,
      messageId,
      user: actor.key,
      neutral: origin.neutral,
      styled: origin.styled,
      at: ctx.now().toISOString(),
    });
  } catch (error) {
    return failed('Feedback not saved', error);
  }
  if (verdict === 'down') return note(`Noted: 👎 on this \`${style}\` reply is kept for evaluation.`);

  const id = feedbackSampleId(place, messageId);
  const outcome = await claimAndSave(ctx, id, () => {
    const reviewer = ctx.permissions.isReviewer(actor);
    const at = ctx.now().toISOString();
    return {
      id,
      kind: 'pair',
      status: reviewer ? 'approved' : 'pending',
      source: 'feedback',
      style,
      platform: place.platform,
      channel: place.key,
      messageId,
      savedBy: actor.key,
      styled: origin.styled,
      neutral: origin.neutral,
      createdAt: at,
      ...(reviewer ? { reviewedBy: actor.key, reviewedAt: at } : {}),
    } satisfies Sample;
  });
  if (outcome.kind === 'failed') return failed('👍 recorded, but the pair was not saved', outcome.error);
  if (outcome.kind === 'duplicate') return note('Thanks: 👍 recorded (this reply is a sample already).');
  if (outcome.kind === 'unconfirmed') return unconfirmed(outcome.error, 'Reacting 👍 again');
  return note(`Thanks: saved this reply as a sample pair for style \`${style}\`${outcome.sample.status === 'pending' ? ' (waiting for review)' : ''}.`);
}

/** Taking a 👍/👎 back removes the verdict, and a 👍 pair the same user saved that is still pending. */
export async function withdrawFeedback(ctx: BotContext, input: { actor: Actor; place: Place; messageId: string; verdict: 'up' | 'down' }): Promise<Reply | null> {
  const { actor, place, messageId } = input;
  const fid = FeedbackRepository.idFor(place.key, messageId, actor.key);
  const existing = await ctx.feedback.get(fid);
  if (!existing || existing.verdict !== input.verdict) return null;
  await ctx.feedback.delete(fid);
  if (input.verdict === 'up') {
    const id = feedbackSampleId(place, messageId);
    const sample = await ctx.samples.get(id);
    if (sample && sample.status === 'pending' && sample.savedBy === actor.key) {
      await ctx.samples.delete(id);
      await ctx.store.release(`sample:${id}`);
      return note('Taken back: your 👍 and the sample pair it saved are removed.');
    }
  }
  return note('Taken back: your feedback on this reply is removed.');
}
