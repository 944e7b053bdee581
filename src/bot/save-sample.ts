import { isRestyleError } from '../errors.js';
import type { Sample } from '../samples/types.js';
import type { BotContext } from './context.js';
import { failed, note, reason } from './replies.js';
import type { Actor, MessageRef, Place, Reply } from './types.js';

/**
 * The claim is a lock for the moment between claiming and writing (double clicks, concurrent reactions,
 * platform retries); the stored sample, found by its id, is what dedupes for good. Kept short so a claim
 * stranded by a store outage, or left by `forget` and retention, stops answering "Already saved" soon.
 */
const CLAIM_TTL_MS = 10 * 60 * 1000;

/** The sample id of a message saved as styled text (⭐, "Save as style sample"). */
export function messageSampleId(place: Pick<Place, 'key'>, messageId: string): string {
  return `msg:${place.key}:${messageId}`;
}

/** The sample id of a 👍'd bot reply (a neutral → styled pair). */
export function feedbackSampleId(place: Pick<Place, 'key'>, messageId: string): string {
  return `fb:${place.key}:${messageId}`;
}

/**
 * Save a message in a mapped channel as a styled sample: once per message whatever the retries or repeats
 * (atomic claim), reported saved only after the write. Reactions in unmapped or disallowed channels are
 * ignored (null) because people react for other reasons; the shortcut always explains.
 */
export async function saveMessage(ctx: BotContext, input: { actor: Actor; message: MessageRef; source: 'reaction' | 'shortcut' }): Promise<Reply | null> {
  const { actor, message, source } = input;
  const quiet = source === 'reaction';
  const allowed = ctx.permissions.inChannel(message.place);
  if (!allowed.ok) return quiet ? null : note(`Not saved: ${allowed.reason}.`);
  let style: string | undefined;
  try {
    style = (await ctx.restyler.resolveStyle({ channel: message.place.key }))?.name;
  } catch (error) {
    return failed('Not saved', error);
  }
  if (!style) return quiet ? null : note('Not saved: this channel has no style, so there is no corpus to add to. An admin can `/restyle map STYLE` first.');
  if (message.text.trim() === '') return note('Not saved: that message has no text.');

  const id = messageSampleId(message.place, message.messageId);
  return claimAndSave(ctx, id, () => {
    const reviewer = ctx.permissions.isReviewer(actor);
    const at = ctx.now().toISOString();
    return {
      id,
      kind: 'styled',
      status: reviewer ? 'approved' : 'pending',
      source,
      style: style!,
      platform: message.place.platform,
      channel: message.place.key,
      messageId: message.messageId,
      savedBy: actor.key,
      ...(message.author ? { author: message.author } : {}),
      styled: message.text,
      createdAt: at,
      ...(reviewer ? { reviewedBy: actor.key, reviewedAt: at } : {}),
    } satisfies Sample;
  }).then(async (outcome) => {
    if (outcome.kind === 'failed') return failed('Not saved', outcome.error);
    if (outcome.kind === 'duplicate') return note('Already saved: that message is a sample already.');
    if (outcome.kind === 'unconfirmed') return unconfirmed(outcome.error, quiet ? 'Reacting again' : 'Saving it again');
    await ctx.actions.react?.(message.place, message.messageId, 'white_check_mark').catch(() => undefined);
    const s = outcome.sample;
    return note(`Saved as a sample for style \`${s.style}\`${s.status === 'pending' ? ' (waiting for review; remove your reaction to take it back)' : ''}.`);
  });
}

/**
 * `unconfirmed`: the write failed without a clear answer (a timeout: it may still have landed) and the
 * store could not be read back either, so neither "saved" nor "not saved" would be honest.
 */
export type SaveOutcome = { kind: 'saved'; sample: Sample } | { kind: 'duplicate' } | { kind: 'failed'; error: unknown } | { kind: 'unconfirmed'; error: unknown };

/** What to tell a user whose save could not be confirmed either way. */
export function unconfirmed(error: unknown, again: string): Reply {
  return note(`Could not confirm that it was saved: ${reason(error).replace(/ Nothing was changed; try again in a moment\.$/, '')} ${again} is safe: a message is never saved twice.`);
}

/**
 * Claims this process holds, or may hold (the claim itself failed without an answer), for saves that then
 * failed while the store was down, so they could not be given back. Such a claim outlives the outage and
 * would answer every retry "Already saved" for a sample that does not exist; the next save of the same id
 * gives it back first.
 */
const orphanedClaims = new WeakMap<BotContext['store'], Set<string>>();

/** Claim the id, then write; a failed write gives the claim back so the user can simply try again. */
export async function claimAndSave(ctx: BotContext, id: string, build: () => Sample): Promise<SaveOutcome> {
  const claimKey = `sample:${id}`;
  let orphans = orphanedClaims.get(ctx.store);
  if (!orphans) orphanedClaims.set(ctx.store, (orphans = new Set()));
  /** Whether we hold the claim; undefined while unknown (asked, no answer). */
  let held: boolean | undefined = false;
  try {
    // Taken out of the set before the await, so concurrent retries do not release each other's new claim.
    if (orphans.delete(claimKey)) {
      await ctx.store.release(claimKey).catch((error: unknown) => {
        orphans.add(claimKey);
        throw error;
      });
    }
    held = undefined;
    held = await ctx.store.claim(claimKey, CLAIM_TTL_MS);
    if (!held) return { kind: 'duplicate' };
    if (await ctx.samples.get(id)) return { kind: 'duplicate' };
    const sample = build();
    try {
      return { kind: 'saved', sample: await ctx.samples.save(sample) };
    } catch (error) {
      // A write that timed out may still have landed: read it back (on Redis, after the write on the same
      // connection) before telling the user anything. Unreadable too: "not saved" only if the write
      // surely never applied (the store says so), else say it could not be confirmed.
      const found = await ctx.samples.get(id).then(
        (s) => s ?? null,
        () => undefined,
      );
      if (found) return { kind: 'saved', sample: found };
      if (found === null || !isRestyleError(error) || error.details.outcomeUnknown !== true) throw error;
      await ctx.store.release(claimKey).catch(() => orphans.add(claimKey));
      return { kind: 'unconfirmed', error };
    }
  } catch (error) {
    if (held !== false) await ctx.store.release(claimKey).catch(() => orphans.add(claimKey));
    return { kind: 'failed', error };
  }
}

/** Removing the ⭐ before review takes the sample back (only the person who saved it can). */
export async function retractSample(ctx: BotContext, input: { actor: Actor; place: Place; messageId: string }): Promise<Reply | null> {
  const id = messageSampleId(input.place, input.messageId);
  const sample = await ctx.samples.get(id);
  if (!sample || sample.savedBy !== input.actor.key) return null;
  if (sample.status !== 'pending') return note(`The sample stays: it was already ${sample.status} by a reviewer.`);
  try {
    await ctx.samples.delete(id);
    await ctx.store.release(`sample:${id}`);
  } catch (error) {
    return failed('Not taken back', error);
  }
  return note('Taken back: that message is no longer a sample.');
}

/** A deleted source message deletes its samples (styled and 👍 pair) and the reply origin. */
export async function messageDeleted(ctx: BotContext, input: { place: Place; messageId: string }): Promise<number> {
  let deleted = 0;
  for (const id of [messageSampleId(input.place, input.messageId), feedbackSampleId(input.place, input.messageId)]) {
    if (await ctx.samples.delete(id)) deleted += 1;
    await ctx.store.release(`sample:${id}`);
  }
  await ctx.origins.forget(input.place, input.messageId).catch((error: unknown) => {
    ctx.logger.warn({ err: reason(error) }, 'bot: could not forget the reply origin');
  });
  return deleted;
}
