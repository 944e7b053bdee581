import { addedMentions } from '../restyle/mentions.js';
import { isRestyleError } from '../errors.js';
import type { BotContext } from './context.js';
import { postStyled, savePair, type PostDelivery } from './preview.js';
import { failed, finished, note, reason } from './replies.js';
import type { Actor, Reply } from './types.js';

/**
 * Save, Discard and the Edit modal's submission as durable jobs (like `postPreviewOnce`): the press was
 * recorded before the ack, so this may run again after a crash. `taking` is saved before the preview is
 * taken, so a rerun that finds the preview taken knows it took it itself and goes on; an edit's posted ids
 * are saved before anything else, so a rerun does not post again; the pair is saved under the preview's id
 * (a rerun finds it). A failure the store or the platform may recover from throws, for the queue to retry.
 */
export type PreviewDelivery = PostDelivery;

/** Save or Discard on a preview, run by a job. */
export async function pressPreviewOnce(ctx: BotContext, input: { actor: Actor; action: 'save' | 'discard'; id: string }, delivery: PreviewDelivery): Promise<Reply> {
  const { actor, action, id } = input;
  const resumed = delivery.state.taking === true;
  const preview = await ctx.previews.get(id);
  if (!preview) {
    // A rerun after its own attempt finished the work (the preview is deleted last).
    if (resumed && action === 'discard') return finished('Discarded.');
    const saved = resumed ? await ctx.samples.get(`preview:${id}`) : undefined;
    if (saved) return finished(savedText(saved.style, saved.status));
    return finished('This preview has expired or was already used.');
  }
  if (preview.owner !== actor.key) return note(`Only ${preview.owner}, who asked for this preview, can use its buttons.`);
  if (!resumed) await delivery.save({ taking: true });
  if (!(await ctx.previews.take(id)) && !resumed) return finished('This preview was already used.');
  if (action === 'discard') {
    await ctx.previews.delete(id);
    return finished('Discarded.');
  }
  try {
    const sample = (await ctx.samples.get(`preview:${id}`)) ?? (await savePair(ctx, preview, preview.styled, actor, 'preview'));
    await ctx.previews.delete(id);
    return finished(savedText(preview.style, sample.status));
  } catch (error) {
    if (!isRestyleError(error) || error.retryable || error.code === 'store_unavailable') throw error;
    await ctx.previews.giveBack(id).catch(() => undefined);
    return failed('Not saved', error);
  }
}

/** The Edit modal was submitted, run by a job: post the edited text once, then save the (neutral, edited) pair. */
export async function submitEditOnce(ctx: BotContext, input: { actor: Actor; id: string; text: string }, delivery: PreviewDelivery): Promise<Reply> {
  const { actor, id } = input;
  const text = input.text.trim();
  const done = delivery.state;
  const resumed = done.taking === true;
  const preview = await ctx.previews.get(id);
  if (!preview) {
    if (done.posted) return finished(`Posted your edit in style \`${done.style ?? '?'}\`.`);
    return finished('This preview has expired or was already used; nothing was posted.');
  }
  if (!resumed) {
    if (preview.owner !== actor.key) return note(`Only ${preview.owner}, who asked for this preview, can edit it.`);
    if (text === '') return note('The edited text is empty; nothing was posted.');
    const added = addedMentions(preview.neutral, text);
    if (added.length > 0) return note(`Not posted: your edit adds ${added.join(', ')}, which the original text did not have. Remove it and submit again.`);
    await delivery.save({ taking: true });
  }
  if (!(await ctx.previews.take(id)) && !resumed) return finished('This preview was already used; nothing was posted.');
  if (!done.posted) {
    try {
      await postStyled(ctx, preview, text, actor, (ids) => delivery.save({ posted: ids, style: preview.style }), delivery.job);
    } catch (error) {
      if (!isRestyleError(error) || error.retryable) throw error;
      // Refused for good (the bot left the channel…): say why, and let the user edit again.
      await ctx.previews.giveBack(id).catch(() => undefined);
      return failed('Not posted', error);
    }
  }
  let saved: string;
  try {
    const sample = (await ctx.samples.get(`edit:${id}`)) ?? (await savePair(ctx, preview, text, actor, 'edit'));
    saved = `Posted your edit and saved the pair as a sample for style \`${preview.style}\`${sample.status === 'pending' ? ' (waiting for review)' : ''}.`;
  } catch (error) {
    saved = `Posted your edit, but the pair was not saved: ${reason(error)}`;
  }
  await ctx.previews.delete(id).catch(() => false);
  return finished(saved);
}

function savedText(style: string, status: string): string {
  return `Saved the pair as a sample for style \`${style}\`${status === 'pending' ? ' (waiting for review)' : ''}. Nothing was posted.`;
}
