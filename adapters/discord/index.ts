import type { ChatPlatform } from '../../src/bot/platform.js';
import { startDiscord } from './app.js';
import { checkDiscordPost, discordRestPoster } from './post.js';
import { DISCORD_ENABLE_HINT, discordEnabled } from './enabled.js';
import { discordJobsOnly } from './jobs.js';

/** Discord as a `restyle bot` platform (loaded lazily from adapters/platforms.ts). */
export const discordPlatform: ChatPlatform = {
  name: 'discord',
  enableHint: DISCORD_ENABLE_HINT,
  enabled: discordEnabled,
  start: (ctx) => startDiscord({ ctx }),
  poster: (ctx) => discordRestPoster(ctx),
  checkPost: (message) => void checkDiscordPost(message),
  // The `jobs` role without the gateway: discord.js REST only; every Discord job kind (./jobs.ts) runs here.
  jobs: (ctx, queue) => {
    const running = discordJobsOnly(queue, ctx);
    return Promise.resolve({ post: discordRestPoster(ctx), stop: () => running.close() });
  },
};

export { startDiscord, type DiscordOptions, type RunningDiscord } from './app.js';
export { createDiscordClient, INTENTS, PARTIALS } from './client.js';
export { commandDefinitions, COMMAND_NAME, MENU_RESTYLE, MENU_SAVE } from './commands.js';
export { registerCommands, type RegisterResult } from './register.js';
export { restyleDiscord, noRestyle, type RestyleDiscordOptions } from './wrapper.js';
