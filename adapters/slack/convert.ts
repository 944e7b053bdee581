import type { Actor, Place } from '../../src/bot/types.js';

/** Slack ids → restyle's neutral, platform-qualified keys. */
export const PLATFORM = 'slack';

export function slackPlace(channel: string, thread?: string): Place {
  return {
    key: `${PLATFORM}:${channel}`,
    platform: PLATFORM,
    channelId: channel,
    ...(thread ? { thread } : {}),
    // D… are direct messages; G… may be group DMs or private channels, so only D counts as direct.
    isDirect: channel.startsWith('D'),
  };
}

export function slackActor(userId: string, extra: Partial<Pick<Actor, 'name' | 'isPlatformAdmin'>> = {}): Actor {
  return { key: `${PLATFORM}:${userId}`, platform: PLATFORM, id: userId, ...extra };
}

/** The Slack id in a `slack:U123` (or `slack:C123`) key, or undefined for other platforms. */
export function slackUserId(key: string): string | undefined {
  return key.startsWith(`${PLATFORM}:`) ? key.slice(PLATFORM.length + 1) : undefined;
}

/** `<@U123>` style mention of a neutral key, or the key itself when it is not a Slack user. */
export function mentionKey(key: string): string {
  const id = slackUserId(key);
  return id ? `<@${id}>` : key;
}

/** `<#C123>` for a Slack channel key. */
export function channelRef(key: string): string {
  const id = slackUserId(key);
  return id ? `<#${id}>` : key;
}

/** Remove the bot's own mention from a message (`<@UBOT> what is…` → `what is…`). */
export function stripMention(text: string, botUserId: string | undefined): string {
  if (!botUserId) return text.trim();
  return text.replace(new RegExp(` ?<@${botUserId}(?:\\|[^>]*)?> ?`, 'g'), ' ').trim();
}
