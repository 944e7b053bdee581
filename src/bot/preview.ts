import { styleNames } from '../config/load.js';
import { isRestyleError } from '../errors.js';
import { addedMentions } from '../restyle/mentions.js';
import type { Sample, SampleSource } from '../samples/types.js';
import type { BotContext } from './context.js';
import type { PendingPreview } from './preview-store.js';
import { failed, finished, note, reason } from './replies.js';
import type { Actor, MessageRef, Place, PreviewAction, Reply } from './types.js';

const ACTIONS: readonly PreviewAction[] = ['post', 'edit', 'save', 'discard'];

/** `/restyle TEXT [style=NAME]` and the "Restyle message" shortcut: an ephemeral preview with buttons. */
export async function createPreview(ctx: BotContext, input: { actor: Actor; place: Place; text: string; style?: string }): Promise<Reply> {
  const { actor, place } = input;
  const text = input.text.trim();
  const allowed = ctx.permissions.inChannel(place);
  if (!allowed.ok) return note(`Not restyled: ${allowed.reason}.`);
  if (text === '') return note('Nothing to restyle: give the text after the command, e.g. `/restyle Your order shipped today.`');

  let styleName = input.style;
  try {
    if (!styleName) {
      const style = await ctx.restyler.resolveStyle({ channel: place.key });
      if (!style) return note(noStyleHere(ctx));
      styleName = style.name;
    }
    const result = await ctx.restyler.restyle(text, { style: styleName, onError: 'original' });
    const preview: PendingPreview = {
      id: ctx.newId(),
      owner: actor.key,
      place,
      style: styleName,
      model: result.model,
      neutral: text,
      styled: result.text,
      styledOk: result.styled,
      createdAt: ctx.now().toISOString(),
    };
    await ctx.previews.put(preview);
    return {
      kind: 'preview',
      id: preview.id,
      style: styleName,
      neutral: text,
      styled: result.text,
      styledOk: result.styled,
      ...(result.styled ? {} : { note: `The style model was not used (${result.error?.message ?? result.reason ?? 'no reason given'}); this is your text unchanged.` }),
      actions: ACTIONS,
    };
  } catch (error) {
    if (isRestyleError(error, 'store_unavailable')) return failed('No preview', error);
    return note(`Not restyled: ${reason(error)}`);
  }
}

/** The "Restyle message" shortcut: preview a message's text; Post replies in its thread. */
export function restyleMessage(ctx: BotContext, input: { actor: Actor; message: MessageRef; style?: string }): Promise<Reply> {
  const { message } = input;
  const place: Place = { ...message.place, thread: message.place.thread ?? message.messageId };
  return createPreview(ctx, { actor: input.actor, place, text: message.text, style: input.style });
}

/** Post / Edit / Save / Discard on a preview. Each final action happens once, whoever presses and however often. */
export async function pressPreview(ctx: BotContext, input: { actor: Actor; action: PreviewAction; id: string }): Promise<Reply> {
  const { actor, action, id } = input;
  const preview = await ctx.previews.get(id);
  if (!preview) return finished('This preview has expired or was already used.');
  if (preview.owner !== actor.key) return note(`Only ${preview.owner}, who asked for this preview, can use its buttons.`);
  if (action === 'edit') return { kind: 'edit', id, style: preview.style, styled: preview.styled };
  if (!(await ctx.previews.take(id))) return finished('This preview was already used.');

  if (action === 'discard') {
    await ctx.previews.delete(id).catch(() => false);
    return finished('Discarded.');
  }
  if (action === 'post') {
    try {
      await postStyled(ctx, preview, preview.styled, actor);
    } catch (error) {
      await ctx.previews.giveBack(id).catch(() => undefined);
      return failed('Not posted', error);
    }
    await ctx.previews.delete(id).catch(() => false);
    return finished(`Posted in style \`${preview.style}\`.`);
  }
  // save
  try {
    const sample = await savePair(ctx, preview, preview.styled, actor, 'preview');
    await ctx.previews.delete(id).catch(() => false);
    return finished(`Saved the pair as a sample for style \`${preview.style}\`${sample.status === 'pending' ? ' (waiting for review)' : ''}. Nothing was posted.`);
  } catch (error) {
    await ctx.previews.giveBack(id).catch(() => undefined);
    return failed('Not saved', error);
  }
}

/**
 * Post as a durable job (see AnswerDelivery): the press was recorded before the ack, so this may run again
 * after a crash. The posted ids are saved before the job is done, so a re-run reports them instead of
 * posting again; `taking` is saved before the preview is taken, so a re-run after a crash between take and
 * post still posts. A failure the platform may recover from throws, for the queue to retry.
 */
export interface PostDelivery {
  readonly state: Readonly<{ taking?: boolean; posted?: string[]; style?: string }>;
  save(patch: { taking?: true; posted?: string[]; style?: string }): Promise<void>;
  /** The durable job posting: its posts are tagged with it (`PostOptions.job`, a Discord nonce). */
  readonly job?: string;
}

/** Post on a preview, run by a job. Null: another press took the preview, and that press tells the user. */
export async function postPreviewOnce(ctx: BotContext, input: { actor: Actor; id: string }, delivery: PostDelivery): Promise<Reply | null> {
  const { actor, id } = input;
  const done = delivery.state;
  if (done.posted) return finished(`Posted in style \`${done.style ?? '?'}\`.`);
  const preview = await ctx.previews.get(id);
  if (!preview) return finished('This preview has expired or was already used.');
  if (preview.owner !== actor.key) return note(`Only ${preview.owner}, who asked for this preview, can use its buttons.`);
  const resumed = done.taking === true;
  if (!resumed) await delivery.save({ taking: true });
  // A re-run finds the preview taken by its own earlier attempt: go on.
  if (!(await ctx.previews.take(id)) && !resumed) return null;
  try {
    await postStyled(ctx, preview, preview.styled, actor, (ids) => delivery.save({ posted: ids, style: preview.style }), delivery.job);
  } catch (error) {
    if (!isRestyleError(error) || error.retryable) throw error;
    // Refused for good (the bot left the channel…): say why, and let the user press again.
    await ctx.previews.giveBack(id).catch(() => undefined);
    return failed('Not posted', error);
  }
  await ctx.previews.delete(id).catch(() => false);
  return finished(`Posted in style \`${preview.style}\`.`);
}

/** The Edit modal was submitted: post the edited text and save the (neutral, edited) pair. */
export async function submitEdit(ctx: BotContext, input: { actor: Actor; id: string; text: string }): Promise<Reply> {
  const { actor, id } = input;
  const text = input.text.trim();
  const preview = await ctx.previews.get(id);
  if (!preview) return finished('This preview has expired or was already used; nothing was posted.');
  if (preview.owner !== actor.key) return note(`Only ${preview.owner}, who asked for this preview, can edit it.`);
  if (text === '') return note('The edited text is empty; nothing was posted.');
  const added = addedMentions(preview.neutral, text);
  if (added.length > 0) {
    return note(`Not posted: your edit adds ${added.join(', ')}, which the original text did not have. Remove it and submit again.`);
  }
  if (!(await ctx.previews.take(id))) return finished('This preview was already used; nothing was posted.');
  try {
    await postStyled(ctx, preview, text, actor);
  } catch (error) {
    await ctx.previews.giveBack(id).catch(() => undefined);
    return failed('Not posted', error);
  }
  await ctx.previews.delete(id).catch(() => false);
  try {
    const sample = await savePair(ctx, preview, text, actor, 'edit');
    return finished(`Posted your edit and saved the pair as a sample for style \`${preview.style}\`${sample.status === 'pending' ? ' (waiting for review)' : ''}.`);
  } catch (error) {
    return finished(`Posted your edit, but the pair was not saved: ${reason(error)}`);
  }
}

async function postStyled(ctx: BotContext, preview: PendingPreview, text: string, actor: Actor, record?: (ids: string[]) => Promise<void>, job?: string): Promise<string[]> {
  const origin = { style: preview.style, model: preview.model, neutral: preview.neutral };
  const ids = await ctx.actions.post(preview.place, text, { thread: preview.place.thread, origin, onBehalfOf: actor, ...(job ? { job: { id: job } } : {}) });
  await record?.(ids);
  // Feedback needs the origin; failing to record it must not turn a done post into an error.
  await ctx.origins.record(preview.place, ids, { ...origin, styled: text }, ctx.now()).catch((error: unknown) => {
    ctx.logger.warn({ err: reason(error) }, 'bot: could not record the reply origin');
  });
  return ids;
}

async function savePair(ctx: BotContext, preview: PendingPreview, styled: string, actor: Actor, source: SampleSource): Promise<Sample> {
  const reviewer = ctx.permissions.isReviewer(actor);
  const at = ctx.now().toISOString();
  return ctx.samples.save({
    id: `${source}:${preview.id}`,
    kind: 'pair',
    status: reviewer ? 'approved' : 'pending',
    source,
    style: preview.style,
    platform: preview.place.platform,
    channel: preview.place.key,
    savedBy: actor.key,
    author: actor.key,
    styled,
    neutral: preview.neutral,
    ...(preview.params ? { params: preview.params } : {}),
    createdAt: at,
    ...(reviewer ? { reviewedBy: actor.key, reviewedAt: at } : {}),
  });
}

function noStyleHere(ctx: BotContext): string {
  const known = styleNames(ctx.settings);
  return known.length === 0
    ? 'Not restyled: no styles are configured (add one under styles: in the config).'
    : `Not restyled: this channel has no style. Add \`style=NAME\` (${known.join(', ')}) or ask an admin to \`/restyle map NAME\`.`;
}
