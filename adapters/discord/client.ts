import { Client, GatewayIntentBits, Partials, type ClientOptions } from 'discord.js';
import type { Settings } from '../../src/config/load.js';

/**
 * The gateway intents restyle needs, each for a reason:
 * - Guilds: channels, threads and roles (thread → parent mapping, role permissions);
 * - GuildMessages + MessageContent (privileged: enable it in the developer portal): mentions to answer,
 *   the text of messages saved as samples;
 * - GuildMessageReactions / DirectMessageReactions: the sample emoji and 👍/👎;
 * - DirectMessages: answering DMs.
 */
export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
] as const;

/** Partials let events about uncached things through: reactions on old messages, DMs, users never seen. */
export const PARTIALS = [Partials.Message, Partials.Channel, Partials.Reaction, Partials.User] as const;

/**
 * A discord.js client for restyle: REST at `DISCORD_API_URL` (the gateway URL then comes from its
 * `/gateway/bot`), API v10, and nothing pinged unless a send says so. `extra` is merged last (tests:
 * `rest: { retries: 0 }`; sharding: `shards`, `shardCount`).
 */
export function createDiscordClient(settings: Pick<Settings, 'discord'>, extra: Partial<ClientOptions> = {}): Client {
  return new Client({
    intents: [...INTENTS],
    partials: [...PARTIALS],
    // A safety net: anything sent without explicit allowed_mentions pings no one.
    allowedMentions: { parse: [], repliedUser: false },
    ...extra,
    rest: { api: settings.discord.apiUrl, version: '10', ...extra.rest },
  });
}
