import {
  Events,
  MessageType,
  type Client,
  type Message,
  type MessageReaction,
  type PartialMessage,
  type PartialMessageReaction,
  type PartialUser,
  type ReadonlyCollection,
  type User,
} from 'discord.js';
import type { MessageRef } from '../../src/bot/types.js';
import { memberActor } from './actor.js';
import { discordActor, discordPlace, messageRef, stripMention } from './convert.js';
import { track, type DiscordDeps } from './deps.js';
import { reactionNames } from './emoji.js';
import { answerHistory } from './history.js';
import { firstDelivery } from './replay.js';
import { answerIntake } from './answer-job.js';
import { deleteIntake } from './delete-job.js';
import { reactionIntake, type ReactionEvent } from './reaction-job.js';

/**
 * Mentions and DMs (answered through the answer source, styled, as a reply to the message), reactions
 * (the sample emoji saves, 👍/👎 feedback, removal retracts) and deleted messages (their samples go too).
 * Nothing here is remembered in memory: the use cases claim and record in the store, so several shards
 * or processes can run side by side.
 */
export function registerEvents(client: Client, deps: DiscordDeps): () => void {
  const { bot, shower } = deps;

  const created = (message: Message): void => {
    const me = client.user;
    if (!me || message.author.bot || message.author.id === me.id || message.system) return;
    if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return;
    const direct = message.channel.isDMBased();
    if (!direct && !message.mentions.users.has(me.id)) return;
    // No answer source configured: nothing to do, so no history to read either.
    if (!bot.ctx.answers) return;
    const queue = deps.queue;
    if (queue) return track(deps, 'queueing an answer', () => answerIntake(queue, deps, message, me.id));
    track(deps, 'answer', async () => {
      const history = await answerHistory(message, me.id, deps.logger);
      const place = discordPlace(message.channel, direct ? message.id : undefined);
      const actor = memberActor(message.author, message.member);
      const reply = await bot.answer({ actor, place, messageId: message.id, text: stripMention(message.content, me.id), history });
      await shower.direct(message.author.id, reply);
    });
  };

  const reacted = (kind: 'added' | 'removed') => (reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) => {
    if (user.id === client.user?.id || user.bot) return;
    const emoji = reactionNames(reaction.emoji).find((name) => bot.wantsReaction(name));
    if (!emoji) return;
    const queue = deps.queue;
    if (queue) return track(deps, `queueing a reaction ${kind}`, () => reactionIntake(queue, deps, reactionEvent(reaction, user, emoji, kind === 'added', client.user?.id)));
    track(deps, `reaction ${kind}`, async () => {
      const message = reaction.message;
      if (!(await firstDelivery(bot.ctx.store, deps.logger, { messageId: message.id, userId: user.id, emoji, kind }))) return;
      const place = discordPlace(message.channel);
      const member = message.guild?.members.cache.get(user.id);
      const actor = member ? memberActor(member.user, member) : discordActor({ id: user.id, username: user.username ?? undefined, globalName: user.globalName ?? null });
      const reply =
        kind === 'added'
          ? await bot.reactionAdded({ actor, place, messageId: message.id, emoji, load: () => loadMessage(message, client.user?.id) })
          : await bot.reactionRemoved({ actor, place, messageId: message.id, emoji });
      await shower.direct(user.id, reply);
    });
  };
  const added = reacted('added');
  const removed = reacted('removed');

  const deleted = (message: Message | PartialMessage) => {
    const queue = deps.queue;
    if (queue) return track(deps, 'queueing a message delete', () => deleteIntake(queue, deps, discordPlace(message.channel), message.id));
    track(deps, 'message delete', async () => {
      await bot.messageDeleted({ place: discordPlace(message.channel), messageId: message.id });
    });
  };
  const bulkDeleted = (messages: ReadonlyCollection<string, Message | PartialMessage>) => {
    for (const message of messages.values()) deleted(message);
  };

  client.on(Events.MessageCreate, created);
  client.on(Events.MessageReactionAdd, added);
  client.on(Events.MessageReactionRemove, removed);
  client.on(Events.MessageDelete, deleted);
  client.on(Events.MessageBulkDelete, bulkDeleted);
  return () => {
    client.off(Events.MessageCreate, created);
    client.off(Events.MessageReactionAdd, added);
    client.off(Events.MessageReactionRemove, removed);
    client.off(Events.MessageDelete, deleted);
    client.off(Events.MessageBulkDelete, bulkDeleted);
  };
}

/** A reaction as the job stores it: who (with their cached roles), where, which configured emoji. */
function reactionEvent(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser, emoji: string, added: boolean, botId: string | undefined): ReactionEvent {
  const message = reaction.message;
  const member = message.guild?.members.cache.get(user.id);
  const actor = member ? memberActor(member.user, member) : discordActor({ id: user.id, username: user.username ?? undefined, globalName: user.globalName ?? null });
  return { added, actor, place: discordPlace(message.channel), messageId: message.id, emoji, ...(botId ? { botId } : {}) };
}

/** The reacted-to message, fetched when it is older than the cache (partial); null when it is gone. */
async function loadMessage(message: Message | PartialMessage, botId: string | undefined): Promise<MessageRef | null> {
  const full = message.partial ? await message.fetch().catch(() => null) : message;
  return full ? messageRef(full, botId) : null;
}
