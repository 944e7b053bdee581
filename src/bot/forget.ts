import type { BotContext } from './context.js';
import { failed, note } from './replies.js';
import type { Actor, Reply } from './types.js';

/** `/restyle forget`: delete every sample the user saved or wrote, and their 👍/👎. */
export async function forgetUser(ctx: BotContext, input: { actor: Actor }): Promise<Reply> {
  let samples = 0;
  let verdicts = 0;
  try {
    samples = await ctx.samples.forget(input.actor.key);
    verdicts = await ctx.feedback.forget(input.actor.key);
  } catch (error) {
    const done = samples + verdicts > 0 ? ` (${samples} samples were deleted before it failed)` : '';
    return failed(`Not everything was forgotten${done}`, error);
  }
  if (samples + verdicts === 0) return note('Nothing to forget: you have no samples or feedback saved.');
  return note(`Forgotten: deleted ${plural(samples, 'sample')} you saved or wrote and ${plural(verdicts, 'feedback verdict')}.`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
