import type { Settings } from '../../src/config/load.js';

/** Whether `restyle bot` starts Discord, decided without importing discord.js (so `restyle text` never loads it). */
export function discordEnabled(settings: Pick<Settings, 'discord'>): boolean {
  return Boolean(settings.discord.botToken);
}

export const DISCORD_ENABLE_HINT = 'DISCORD_BOT_TOKEN (and DISCORD_CLIENT_ID for `restyle discord register`)';

/** Why Discord is off although its application id is set (a half-made set-up), else undefined. */
export function discordMissing(settings: Pick<Settings, 'discord'>): string | undefined {
  return !settings.discord.botToken && settings.discord.clientId ? 'DISCORD_CLIENT_ID is set but DISCORD_BOT_TOKEN is not' : undefined;
}
