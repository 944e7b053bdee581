import type { ChatPlatform } from '../src/bot/platform.js';
import type { Settings } from '../src/config/load.js';

/**
 * The chat platforms `restyle bot` knows. Each is loaded only when enabled, so `restyle text` never pays
 * for importing Bolt or discord.js.
 */
export interface PlatformEntry {
  name: string;
  enableHint: string;
  enabled(settings: Settings): boolean;
  load(): Promise<ChatPlatform>;
}

export const PLATFORMS: PlatformEntry[] = [];
