import type { Settings } from '../../src/config/load.js';

/** Whether `restyle bot` starts Discord, decided without importing discord.js (so `restyle text` never loads it). */
export function discordEnabled(settings: Pick<Settings, 'discord'>): boolean {
  return Boolean(settings.discord.botToken);
}

export const DISCORD_ENABLE_HINT = 'DISCORD_BOT_TOKEN (and DISCORD_CLIENT_ID for `restyle discord register`)';
