import { Routes, type APIMessage, type REST, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import { broadcastAllowed, guardMentions } from '../../src/bot/safety.js';
import { splitMessage } from '../../src/bot/split.js';
import type { ChatActions, Place, PostOptions } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { toDiscordEmoji } from './emoji.js';
import { discordError } from './errors.js';
import { allowedMentionsFor } from './mentions.js';
import { MESSAGE_LIMIT } from './render.js';

/**
 * What the use cases may do on Discord, straight through the REST client (no channel cache needed, so
 * any shard or process can post anywhere): post split at 2,000 characters without breaking code fences,
 * pinging only whom the original text mentioned, replying to a message when asked, crediting the user.
 */
export class DiscordActions implements ChatActions {
  constructor(
    private readonly rest: REST,
    private readonly logger: Logger,
    /** `safety.allowBroadcast`: channels where the asker's @everyone, @here and roles may ping. */
    private readonly allowBroadcast: readonly string[] = [],
  ) {}

  async post(place: Place, text: string, options: PostOptions = {}): Promise<string[]> {
    const origin = options.origin;
    const safe = origin ? guardMentions(origin.neutral, text) : { text, blocked: [] };
    if (safe.blocked.length > 0) this.logger.warn({ blocked: safe.blocked, channel: place.key }, 'discord: post would add mentions; posting the original text');
    const credit = options.onBehalfOf ? creditLine(options.onBehalfOf.id, origin?.style) : undefined;
    const parts = splitForDiscord(safe.text, credit);
    const allowed = allowedMentionsFor(options.asked ?? origin?.neutral ?? safe.text, {
      onBehalfOfUser: Boolean(options.onBehalfOf),
      broadcast: broadcastAllowed(this.allowBroadcast, place.key),
    });
    const ids: string[] = [];
    for (const [i, content] of parts.entries()) {
      const body: RESTPostAPIChannelMessageJSONBody = {
        content,
        allowed_mentions: allowed,
        // Only the first part answers the message; a deleted target must not lose the answer.
        ...(i === 0 && options.thread ? { message_reference: { message_id: options.thread, fail_if_not_exists: false } } : {}),
      };
      try {
        const message = (await this.rest.post(Routes.channelMessages(place.channelId), { body })) as APIMessage;
        ids.push(message.id);
      } catch (error) {
        throw discordError(error, 'posting the message');
      }
    }
    return ids;
  }

  async react(place: Place, messageId: string, emoji: string): Promise<void> {
    try {
      await this.rest.put(Routes.channelMessageOwnReaction(place.channelId, messageId, encodeURIComponent(toDiscordEmoji(emoji))));
    } catch (error) {
      this.logger.debug({ err: discordError(error, 'reacting').message }, 'discord: reaction not added');
    }
  }
}

/** Parts of at most 2,000 characters (code fences closed and reopened); the credit ends the last part. */
export function splitForDiscord(text: string, credit?: string): string[] {
  const room = credit ? MESSAGE_LIMIT - credit.length - 1 : MESSAGE_LIMIT;
  const parts = splitMessage(text, room);
  if (credit) parts[parts.length - 1] = `${parts[parts.length - 1]}\n${credit}`;
  return parts;
}

function creditLine(userId: string, style: string | null | undefined): string {
  return `-# Posted by <@${userId}> with /restyle${style ? ` (style \`${style}\`)` : ''}`;
}
