import type { RestyleResult } from '../restyle/restyler.js';
import type { AnswerSource } from './answer.js';
import type { AnswerDelivery, AnswerInput } from './answer-and-restyle.js';
import type { BotContext } from './context.js';
import { note, reason as why } from './replies.js';
import { guardMentions } from './safety.js';
import type { Reply, ReplyStream, StreamReplyOptions } from './types.js';

/**
 * The streamed answer (`bot.answer.stream`): the source's deltas go through the filter (each block styled
 * as soon as it is complete) into a reply that grows in the thread. What was posted stays; when the
 * source is cut off mid-answer, the rest that arrived is posted as written and a last line says the
 * answer was cut short — nothing claims it is complete.
 */
export async function streamAnswer(ctx: BotContext, input: AnswerInput, source: AnswerSource, thread: string | undefined, delivery?: AnswerDelivery): Promise<Reply | null> {
  const { actor, place } = input;
  const open = ctx.actions.openStream!.bind(ctx.actions);
  void ctx.actions.showWorking?.(place, thread).catch(() => undefined);
  const cancel = new AbortController();
  const deltas = source.stream({ text: input.text, actor, place, history: input.history ?? [] }, cancel.signal);
  let reply: ReplyStream | null = null;
  let neutral = '';
  let shown = '';
  let space = '';
  let summary: RestyleResult | undefined;
  try {
    const blocks = ctx.restyler.stream(deltas, { channel: place.key, onError: 'original', signal: cancel.signal });
    for (let next = await blocks.next(); ; next = await blocks.next()) {
      if (next.done) {
        summary = next.value;
        break;
      }
      const block = next.value;
      neutral += block.original;
      // The filter never adds a mention per block; this is the last check before anything is shown.
      const guarded = guardMentions(block.original, block.text).text;
      // Whitespace between blocks goes out with the next block, not in a call of its own.
      if (guarded.trim() === '') {
        if (reply !== null) space += guarded;
        continue;
      }
      const text = space + guarded;
      space = '';
      reply ??= open(place, { thread, recipient: actor, asked: input.text, ...jobOptions(delivery) });
      shown += text;
      await reply.append(text);
    }
  } catch (error) {
    cancel.abort();
    ctx.logger.warn({ err: why(error), source: source.name }, 'bot: streamed answer failed');
    if (reply === null) return note(`I couldn't get an answer from the ${source.name} answer source: ${why(error)}`);
  }
  if (summary?.incomplete) {
    ctx.logger.warn({ code: summary.incomplete.code, received: summary.incomplete.received }, 'bot: answer source cut off mid-answer');
    if (reply === null) return note(`I couldn't get an answer from the ${source.name} answer source: ${summary.incomplete.message}`);
    await reply.append('\n\n_(The answer was cut off before it was finished.)_');
  }
  if (reply === null) return note(`The ${source.name} answer source returned an empty answer.`);
  if (summary?.error) ctx.logger.warn({ code: summary.error.code, style: summary.style }, 'bot: the styler failed mid-answer; the rest was posted unstyled');
  let ids: string[];
  try {
    ids = await reply.finish();
  } catch (error) {
    // A durable job retries (writing into the messages it began) or fails once when the platform refused.
    if (delivery) throw error;
    ctx.logger.warn({ err: why(error) }, 'bot: posting the streamed answer failed');
    return note(`I couldn't post my answer: ${why(error)}`);
  }
  await delivery?.record(ids);
  if (summary?.styled && summary.style) {
    const origin = { style: summary.style, model: summary.model, neutral, styled: shown };
    await ctx.origins.record(place, ids, origin, ctx.now()).catch((error: unknown) => {
      ctx.logger.warn({ err: why(error) }, 'bot: could not record the reply origin');
    });
  }
  return null;
}

/** A durable job's stream: tagged with the job id, each new message recorded at once, an earlier attempt's messages reused. */
function jobOptions(delivery: AnswerDelivery | undefined): Pick<StreamReplyOptions, 'job' | 'started' | 'resume'> {
  if (!delivery?.job) return {};
  const ids: string[] = [...(delivery.resume ?? [])];
  return {
    job: { id: delivery.job },
    ...(delivery.started ? { started: (id: string) => (ids.includes(id) ? Promise.resolve() : (ids.push(id), delivery.started!([...ids]))) } : {}),
    ...(delivery.resume?.length ? { resume: delivery.resume } : {}),
  };
}
