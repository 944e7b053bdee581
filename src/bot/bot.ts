import { isRestyleError, toRestyleError } from '../errors.js';
import { answerAndRestyle, type AnswerDelivery, type AnswerInput } from './answer-and-restyle.js';
import { channelStatus, listStyles, mapChannel, unmapChannel } from './map-channel.js';
import { parseCommand, type BotCommand } from './command.js';
import { botContext, type BotContext, type BotDeps } from './context.js';
import { giveFeedback, withdrawFeedback } from './feedback.js';
import { forgetUser } from './forget.js';
import { help } from './help.js';
import { createPreview, postPreviewOnce, pressPreview, restyleMessage, submitEdit, type PostDelivery } from './preview.js';
import { pressPreviewOnce, submitEditOnce } from './preview-once.js';
import { failed, note, slowDown } from './replies.js';
import { nextReview, pressReview } from './review.js';
import { messageDeleted, retractSample, saveMessage } from './save-sample.js';
import type { Actor, MessageRef, Place, PreviewAction, Reply, ReviewAction } from './types.js';

export interface ReactionInput {
  actor: Actor;
  place: Place;
  messageId: string;
  /** As the platform names it: `star`, `+1::skin-tone-2`, `:star:` (Discord adapters map unicode to these names). */
  emoji: string;
  /** Read the message (text, author), only called when the emoji matters. */
  load(): Promise<MessageRef | null>;
}

/**
 * Every chat use case, platform-free: adapters turn platform events into these calls and render the
 * neutral `Reply` they get back (null: nothing to show). Nothing here throws for expected failures;
 * a refusal or error comes back as a note saying why.
 *
 * @example
 * const bot = new Bot({ ...appContext, actions: { post: (place, text, opts) => … } });
 * const reply = await bot.command({ actor, place, text: 'map pirate' });
 */
export class Bot {
  readonly ctx: BotContext;

  constructor(deps: BotDeps) {
    this.ctx = botContext(deps);
  }

  /** `/restyle …` as typed (Slack); parsed into a subcommand or text to restyle. */
  command(input: { actor: Actor; place: Place; text: string; command?: string }): Promise<Reply> {
    return this.run(parseCommand(input.text), input.actor, input.place, input.command);
  }

  /** A parsed command (Discord builds these from its options). */
  run(command: BotCommand, actor: Actor, place: Place, spelled = '/restyle'): Promise<Reply> {
    return this.guard(`/restyle ${command.kind}`, async () => {
      const ctx = this.ctx;
      switch (command.kind) {
        case 'restyle': {
          const d = await ctx.limits.take('restyle', actor.key);
          if (!d.ok) return slowDown('/restyle', d);
          return createPreview(ctx, { actor, place, text: command.text, style: command.style });
        }
        case 'map':
          return mapChannel(ctx, { actor, place, style: command.style });
        case 'unmap':
          return unmapChannel(ctx, { actor, place });
        case 'styles':
          return listStyles(ctx, { place });
        case 'status':
          return channelStatus(ctx, { place });
        case 'review':
          return nextReview(ctx, { actor, place });
        case 'forget':
          return forgetUser(ctx, { actor });
        case 'help':
          return help(ctx.settings.bot, spelled);
      }
    });
  }

  /** A button: preview actions carry the preview id, review actions the sample id. */
  press(input: { actor: Actor; place: Place; action: PreviewAction | ReviewAction; id: string }): Promise<Reply> {
    return this.guard(`button ${input.action}`, () => {
      if (input.action === 'approve' || input.action === 'reject') {
        return pressReview(this.ctx, { actor: input.actor, place: input.place, action: input.action, id: input.id });
      }
      return pressPreview(this.ctx, { actor: input.actor, action: input.action, id: input.id });
    });
  }

  /** Post on a preview as a durable job: a failure the queue may retry throws (see PostDelivery). */
  postOnce(input: { actor: Actor; id: string }, delivery: PostDelivery): Promise<Reply | null> {
    return postPreviewOnce(this.ctx, input, delivery);
  }

  /** Save or Discard on a preview as a durable job (see PreviewDelivery): a failure the queue may retry throws. */
  pressOnce(input: { actor: Actor; action: 'save' | 'discard'; id: string }, delivery: PostDelivery): Promise<Reply> {
    return pressPreviewOnce(this.ctx, input, delivery);
  }

  /** The Edit modal's submission as a durable job: posted once, a failure the queue may retry throws. */
  submitEditOnce(input: { actor: Actor; id: string; text: string }, delivery: PostDelivery): Promise<Reply> {
    return submitEditOnce(this.ctx, input, delivery);
  }

  /** The source message was deleted, as a durable job: a store failure throws (the queue retries); the number of samples deleted. */
  deleteSamplesOf(input: { place: Place; messageId: string }): Promise<number> {
    return messageDeleted(this.ctx, input);
  }

  /** The Edit modal was submitted. */
  submitEdit(input: { actor: Actor; id: string; text: string }): Promise<Reply> {
    return this.guard('edit', () => submitEdit(this.ctx, input));
  }

  /** Message shortcut / context menu "Restyle message". */
  restyleMessage(input: { actor: Actor; message: MessageRef; style?: string }): Promise<Reply> {
    return this.guard('restyle message', async () => {
      const d = await this.ctx.limits.take('restyle', input.actor.key);
      if (!d.ok) return slowDown('restyling', d);
      return restyleMessage(this.ctx, input);
    });
  }

  /** Message shortcut / context menu "Save as style sample". */
  async saveMessage(input: { actor: Actor; message: MessageRef }): Promise<Reply> {
    const reply = await this.guard('save sample', () => saveMessage(this.ctx, { ...input, source: 'shortcut' }));
    return reply ?? note('Not saved.');
  }

  /** True when a reaction with this emoji means something to the bot (adapters skip loading messages otherwise). */
  wantsReaction(emoji: string): boolean {
    const name = normalizeEmoji(emoji);
    const r = this.ctx.settings.bot.reactions;
    return name === r.sample || name === r.approve || name === r.reject;
  }

  reactionAdded(input: ReactionInput): Promise<Reply | null> {
    return this.guard('reaction', async () => {
      const name = normalizeEmoji(input.emoji);
      const r = this.ctx.settings.bot.reactions;
      if (name === r.approve || name === r.reject) {
        return giveFeedback(this.ctx, { actor: input.actor, place: input.place, messageId: input.messageId, verdict: name === r.approve ? 'up' : 'down' });
      }
      if (name !== r.sample) return null;
      const message = await input.load();
      if (!message) return note('Not saved: that message could not be read.');
      return saveMessage(this.ctx, { actor: input.actor, message, source: 'reaction' });
    });
  }

  reactionRemoved(input: Omit<ReactionInput, 'load'>): Promise<Reply | null> {
    return this.guard('reaction removed', async () => {
      const name = normalizeEmoji(input.emoji);
      const r = this.ctx.settings.bot.reactions;
      if (name === r.sample) return retractSample(this.ctx, input);
      if (name === r.approve || name === r.reject) {
        return withdrawFeedback(this.ctx, { actor: input.actor, place: input.place, messageId: input.messageId, verdict: name === r.approve ? 'up' : 'down' });
      }
      return null;
    });
  }

  /** The source message was deleted: its samples go too. Returns how many samples were deleted. */
  async messageDeleted(input: { place: Place; messageId: string }): Promise<number> {
    try {
      return await messageDeleted(this.ctx, input);
    } catch (error) {
      this.ctx.logger.warn({ err: toRestyleError(error).message, channel: input.place.key }, 'bot: could not delete the samples of a deleted message');
      return 0;
    }
  }

  /** A mention or DM: answer, restyle, reply in the thread. */
  answer(input: AnswerInput): Promise<Reply | null> {
    return this.guard('answer', () => answerAndRestyle(this.ctx, input));
  }

  /** A mention or DM as a durable job: failures to post throw, for the queue to retry (see AnswerDelivery). */
  answerOnce(input: AnswerInput, delivery: AnswerDelivery): Promise<Reply | null> {
    return answerAndRestyle(this.ctx, input, delivery);
  }

  /** Turn anything unexpected into a one-line note; log what is not a known RestyleError. */
  private async guard<T extends Reply | null>(what: string, fn: () => Promise<T>): Promise<T | Reply> {
    try {
      return await fn();
    } catch (error) {
      if (!isRestyleError(error) || error.code === 'internal') this.ctx.logger.error({ err: toRestyleError(error).message }, `bot: ${what} failed`);
      return failed(`That did not work (${what})`, error);
    }
  }
}

/** `:star:` → `star`, `+1::skin-tone-2` → `+1`. */
export function normalizeEmoji(emoji: string): string {
  return emoji.replace(/^:|:$/g, '').split('::')[0]!;
}
