import { ChannelType, DiscordAPIError, REST, Routes, type APIChannel } from 'discord.js';
import type { OutgoingMessage, PostedMessage } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import type { AppContext } from '../../src/app.js';
import { DiscordActions } from './actions.js';
import { discordId, placeById } from './convert.js';
import { discordHint } from './errors.js';

const SNOWFLAKE = /^\d{15,21}$/;
const THREADS = new Set<ChannelType>([ChannelType.PublicThread, ChannelType.PrivateThread, ChannelType.AnnouncementThread]);

/** The Discord channel id of a post, once its channel and thread ids are well-formed (`RunningPlatform.checkPost`). */
export function checkDiscordPost(message: Pick<OutgoingMessage, 'channel' | 'thread'>): { channelId: string } {
  const channelId = discordId(message.channel) ?? '';
  if (!SNOWFLAKE.test(channelId)) {
    throw new RestyleError('input_invalid', `channel: "${message.channel}" is not a Discord channel; use discord:<channel id>, e.g. discord:112233445566778899 (Developer Mode → right-click the channel → Copy Channel ID)`, {
      details: { field: 'channel' },
    });
  }
  if (message.thread !== undefined && !SNOWFLAKE.test(message.thread)) {
    throw new RestyleError('input_invalid', `thread: "${message.thread}" is not a Discord thread id (right-click the thread → Copy Thread ID)`, { details: { field: 'thread' } });
  }
  return { channelId };
}

/**
 * `RunningPlatform.post` for Discord: a REST create-message (`POST /channels/{id}/messages`), split at
 * 2,000 characters by DiscordActions, pinging only whom the neutral text mentioned. Resolves once Discord
 * answered with the message.
 *
 * `thread` is a Discord thread (its id; for a thread started from a message that is the message's id) of
 * `channel`: the message goes into the thread, and the style is the channel's, as for the bot's own
 * answers in threads. It is checked to be a thread of that channel, so a mapping can't be borrowed. (It
 * is not a message to reply to.)
 */
export function discordPoster(rest: REST, actions: DiscordActions): (message: OutgoingMessage) => Promise<PostedMessage> {
  return async (message) => {
    const { channelId } = checkDiscordPost(message);
    let target = channelId;
    if (message.thread !== undefined) {
      let thread: APIChannel;
      try {
        // Straight through REST (no gateway cache), so a web process without the gateway can post too.
        thread = (await rest.get(Routes.channel(message.thread))) as APIChannel;
      } catch (error) {
        throw postError(error, `thread ${message.thread}`);
      }
      if (!THREADS.has(thread.type)) {
        throw new RestyleError('input_invalid', `thread: ${message.thread} is not a thread (post to a channel with channel: "discord:${message.thread}")`, { details: { field: 'thread' } });
      }
      const parentId = 'parent_id' in thread ? thread.parent_id : undefined;
      if (parentId !== channelId) {
        throw new RestyleError('input_invalid', `thread: ${message.thread} is a thread of discord:${parentId ?? '?'}, not of ${message.channel}`, { details: { field: 'thread' } });
      }
      target = thread.id;
    }
    // Keyed by the channel, so a thread's post gets the channel's style and origin.
    const place = placeById(target, { parentId: channelId });
    let ids: string[];
    try {
      ids = await actions.post(place, message.text, { ...(message.origin ? { origin: message.origin } : {}), ...(message.job ? { job: message.job } : {}) });
    } catch (error) {
      throw postError(error, 'the post');
    }
    if (ids.length === 0) throw new RestyleError('platform_error', 'Discord answered without a message id');
    return { id: ids[0]!, ids };
  };
}

/**
 * A Discord poster on a REST client of its own, for a process that does not hold the gateway (the
 * Procfile's `web` while `worker` runs the bot): posting needs only the bot token.
 */
export function discordRestPoster(ctx: Pick<AppContext, 'settings' | 'logger'>): (message: OutgoingMessage) => Promise<PostedMessage> {
  const token = ctx.settings.discord.botToken;
  if (!token) throw new RestyleError('env_missing', 'DISCORD_BOT_TOKEN is not set');
  const rest = new REST({ api: ctx.settings.discord.apiUrl, version: '10' }).setToken(token);
  return discordPoster(rest, new DiscordActions(rest, ctx.logger.child({ platform: 'discord' }), ctx.settings.safety.allowBroadcast));
}

/** A failed REST call, classified for the API caller with Discord's own error code in the message. */
function postError(error: unknown, what: string): RestyleError {
  const api = error instanceof DiscordAPIError ? error : error instanceof Error && error.cause instanceof DiscordAPIError ? error.cause : undefined;
  if (!api) {
    const reason = error instanceof RestyleError ? error.message : error instanceof Error ? error.message : String(error);
    return new RestyleError('platform_unavailable', `Discord did not take ${what}: ${reason}`, { cause: error, retryable: true });
  }
  const code = typeof api.code === 'number' ? api.code : 0;
  const hint = discordHint(code);
  const said = `${api.message} (HTTP ${api.status}${code ? `, code ${code}` : ''})${hint ? `: ${hint}` : ''}`;
  const details = { platformError: code || api.status };
  if (api.status === 401) return new RestyleError('platform_error', `Discord refused DISCORD_BOT_TOKEN (HTTP 401) for ${what}`, { cause: error, details });
  if (api.status === 429 || api.status >= 500) return new RestyleError('platform_unavailable', `Discord could not take ${what}: ${said}; try again later`, { cause: error, retryable: true, details });
  return new RestyleError('platform_refused', `Discord refused ${what}: ${said}`, { cause: error, details });
}
