import type { HistoryEntry } from './answer.js';
import type { BotContext } from './context.js';
import { note, reason as why, slowDown } from './replies.js';
import { guardMentions } from './safety.js';
import { streamAnswer } from './stream-answer.js';
import type { Actor, Place, Reply } from './types.js';

/** A mention or DM answered at most once across retries, replicas and shards. */
const ANSWER_CLAIM_TTL_MS = 24 * 3600 * 1000;

export interface AnswerInput {
  actor: Actor;
  place: Place;
  /** The message being answered (its platform id). */
  messageId: string;
  /** Its text, bot mention already removed. */
  text: string;
  /** The thread before this message, oldest first (empty outside threads). */
  history?: readonly HistoryEntry[];
}

/**
 * A durable job's delivery: the job id already makes the answer run once, so no claim is taken; a failed
 * post throws (the queue retries it, or fails it once when the platform refused), and the posted ids are
 * recorded before the job is marked done, so a re-run finds them instead of posting again.
 */
export interface AnswerDelivery {
  record(ids: string[]): Promise<void>;
  /** The durable job answering: its posts are tagged with it (`PostOptions.job`). */
  job?: string;
  /** A streamed answer: each message's id as soon as it exists (a crash mid-stream leaves them recorded). */
  started?(ids: string[]): Promise<void>;
  /** A streamed answer an earlier attempt began in these messages: written into them, not posted anew. */
  resume?: readonly string[];
}

/**
 * A mention or DM: get the answer from the configured source, style it with the channel's style, and
 * reply in the thread. Returns a note for the asker when it could not answer, null otherwise (also when
 * no answer source is configured, or this message was answered already).
 */
export async function answerAndRestyle(ctx: BotContext, input: AnswerInput, delivery?: AnswerDelivery): Promise<Reply | null> {
  const { actor, place, messageId } = input;
  const source = ctx.answers;
  if (!source) return null;
  const allowed = ctx.permissions.inChannel(place);
  if (!allowed.ok) return note(`I can't answer here: ${allowed.reason}.`);
  if (input.text.trim() === '') return null;

  const claimKey = `answer:${place.key}:${messageId}`;
  try {
    if (!delivery && !(await ctx.store.claim(claimKey, ANSWER_CLAIM_TTL_MS))) return null;
  } catch (error) {
    // Better a rare duplicate answer than a lost one while the store is down.
    ctx.logger.warn({ err: why(error) }, 'bot: answer dedupe unavailable; answering anyway');
  }

  const limited = await ctx.limits.take('replies', actor.key);
  if (!limited.ok) return slowDown('answers', limited);
  if (ctx.settings.bot.answer.stream && ctx.actions.openStream) {
    return streamAnswer(ctx, input, source, place.thread ?? (place.isDirect ? undefined : messageId), delivery);
  }

  let answer: string;
  try {
    answer = await source.answer({ text: input.text, actor, place, history: input.history ?? [] });
  } catch (error) {
    ctx.logger.warn({ err: why(error), source: source.name }, 'bot: answer source failed');
    return note(`I couldn't get an answer from the ${source.name} answer source: ${why(error)}`);
  }
  if (answer.trim() === '') return note(`The ${source.name} answer source returned an empty answer.`);

  const styled = await ctx.restyler.restyle(answer, { channel: place.key, onError: 'original' }).catch((error: unknown) => {
    ctx.logger.warn({ err: why(error) }, 'bot: restyle failed; posting the answer unstyled');
    return null;
  });
  const safe = guardMentions(answer, styled?.text ?? answer);
  if (safe.blocked.length > 0) ctx.logger.warn({ blocked: safe.blocked }, 'bot: styled answer added mentions; posting it unstyled');
  const restyled = styled !== null && styled.styled && safe.blocked.length === 0;
  const origin = { style: restyled ? styled.style : null, model: restyled ? styled.model : null, neutral: answer };
  const thread = place.thread ?? (place.isDirect ? undefined : messageId);
  let ids: string[];
  try {
    // Only whom the asking human mentioned may be pinged, whatever the answer source wrote (issue 13, hole 3).
    ids = await ctx.actions.post(place, safe.text, { thread, origin, asked: input.text, markdown: true, ...(delivery?.job ? { job: { id: delivery.job } } : {}) });
  } catch (error) {
    if (delivery) throw error;
    ctx.logger.warn({ err: why(error) }, 'bot: posting the answer failed');
    return note(`I couldn't post my answer: ${why(error)}`);
  }
  await delivery?.record(ids);
  if (restyled) {
    await ctx.origins.record(place, ids, { ...origin, styled: safe.text }, ctx.now()).catch((error: unknown) => {
      ctx.logger.warn({ err: why(error) }, 'bot: could not record the reply origin');
    });
  }
  return null;
}
