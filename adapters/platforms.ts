import type { ChatPlatform } from '../src/bot/platform.js';
import type { Settings } from '../src/config/load.js';
import { SLACK_ENABLE_HINT, slackEnabled, slackMissing } from './slack/enabled.js';
import { DISCORD_ENABLE_HINT, discordEnabled, discordMissing } from './discord/enabled.js';

/**
 * The chat platforms `restyle bot` knows. Each is loaded only when enabled, so `restyle text` never pays
 * for importing Bolt or discord.js.
 */
export interface PlatformEntry {
  name: string;
  enableHint: string;
  enabled(settings: Settings): boolean;
  /** Why it is off although some of its variables are set (worth a warning), else undefined. */
  missing?(settings: Settings): string | undefined;
  load(): Promise<ChatPlatform>;
  /** Where its events come in: `web` ones need the HTTP port (Slack events), `gateway` ones hold a gateway connection (Discord). Its jobs run in the `jobs` role. */
  role: 'web' | 'gateway';
}

export const PLATFORMS: PlatformEntry[] = [
  { name: 'slack', enableHint: SLACK_ENABLE_HINT, enabled: slackEnabled, missing: slackMissing, load: async () => (await import('./slack/index.js')).slackPlatform, role: 'web' },
  { name: 'discord', enableHint: DISCORD_ENABLE_HINT, enabled: discordEnabled, missing: discordMissing, load: async () => (await import('./discord/index.js')).discordPlatform, role: 'gateway' },
];
