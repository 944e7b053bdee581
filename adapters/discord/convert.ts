import type { Actor, MessageRef, Place } from '../../src/bot/types.js';

/**
 * Discord ids → restyle's neutral, platform-qualified keys.
 *
 * A thread is a channel of its own on Discord, but it belongs to its parent: the place's `key` (mappings,
 * samples, allowlists) is the parent channel's, while `channelId` (where to post) is the thread's.
 * `Place.thread` and `PostOptions.thread` are a message id to reply to.
 */
export const PLATFORM = 'discord';

/** What a place needs from a discord.js channel (or a raw one). */
export interface ChannelLike {
  id: string;
  parentId?: string | null;
  isThread(): boolean;
  isDMBased(): boolean;
}

export function discordPlace(channel: ChannelLike, replyTo?: string): Place {
  const parent = channel.isThread() && channel.parentId ? channel.parentId : channel.id;
  return {
    key: `${PLATFORM}:${parent}`,
    platform: PLATFORM,
    channelId: channel.id,
    ...(replyTo ? { thread: replyTo } : {}),
    isDirect: channel.isDMBased(),
  };
}

/** A message as the use cases see it (reactions, context menus). */
export function messageRef(message: { id: string; content: string; author: { id: string }; channel: ChannelLike }, botId: string | undefined): MessageRef {
  return {
    place: discordPlace(message.channel),
    messageId: message.id,
    text: message.content,
    author: `${PLATFORM}:${message.author.id}`,
    fromBot: message.author.id === botId,
  };
}

/** A channel known only by id (its thread parent unknown): the key is its own. */
export function placeById(channelId: string, options: { parentId?: string | null; isDirect?: boolean } = {}): Place {
  return { key: `${PLATFORM}:${options.parentId ?? channelId}`, platform: PLATFORM, channelId, isDirect: options.isDirect ?? false };
}

export function discordActor(user: { id: string; username?: string; globalName?: string | null }, extra: { isPlatformAdmin?: boolean; roles?: readonly string[] } = {}): Actor {
  const name = user.globalName ?? user.username;
  return {
    key: `${PLATFORM}:${user.id}`,
    platform: PLATFORM,
    id: user.id,
    ...(name ? { name } : {}),
    ...(extra.isPlatformAdmin !== undefined ? { isPlatformAdmin: extra.isPlatformAdmin } : {}),
    ...(extra.roles ? { roles: extra.roles } : {}),
  };
}

/** The Discord id in a `discord:123` key, or undefined for other platforms. */
export function discordId(key: string): string | undefined {
  return key.startsWith(`${PLATFORM}:`) ? key.slice(PLATFORM.length + 1) : undefined;
}

/** `<@123>` for a Discord user key, else the key itself. */
export function userMention(key: string): string {
  const id = discordId(key);
  return id ? `<@${id}>` : key;
}

/** `<#123>` for a Discord channel key, else the key itself. */
export function channelMention(key: string): string {
  const id = discordId(key);
  return id ? `<#${id}>` : key;
}

/** Remove the bot's own mention (`<@123> what is…` → `what is…`). */
export function stripMention(text: string, botId: string): string {
  return text.replace(new RegExp(`\\s*<@!?${botId}>\\s*`, 'g'), ' ').trim();
}
