import { Routes, type APIMessage, type REST, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import { broadcastAllowed, guardMentions } from '../../src/bot/safety.js';
import { splitMessage } from '../../src/bot/split-message.js';
import { EditingReply, type Pace } from '../../src/bot/edit-stream.js';
import type { ChatActions, Place, PostOptions, ReplyStream, StreamReplyOptions } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { sha256 } from '../../src/util/hash.js';
import { toDiscordEmoji } from './emoji.js';
import { discordError } from './errors.js';
import { allowedMentionsFor } from './mentions.js';
import { MESSAGE_LIMIT } from './render.js';

/**
 * Writes (post or edit) per streamed reply: Discord's message bucket is 5 per 5 s per channel (its
 * X-RateLimit-Limit on channel message routes); one write per 1.7 s while text arrives (at most 3 in any
 * 5 s) leaves room for the last edit, and a continuation, to go out at once.
 */
export const DISCORD_EDIT_PACE: Pace = { calls: 5, perMs: 5000, gapMs: 1700 };

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
        // A durable job's rerun sends the same nonce: Discord answers with the message it already made.
        ...(options.job ? { nonce: jobNonce(options.job.id, i), enforce_nonce: true } : {}),
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

  /**
   * A streamed answer: posted at once, then edited as text arrives within DISCORD_EDIT_PACE, continued in a
   * new message at 2,000 characters with code fences closed and reopened.
   */
  openStream(place: Place, options: StreamReplyOptions): ReplyStream {
    // As a post: only the asker's live mentions ping, broadcasts only where the channel allows them.
    const allowed = allowedMentionsFor(options.asked ?? options.origin?.neutral ?? '', { onBehalfOfUser: false, broadcast: broadcastAllowed(this.allowBroadcast, place.key) });
    let first = true;
    return new EditingReply(
      {
        post: async (content) => {
          const reference = first && options.thread ? { message_reference: { message_id: options.thread, fail_if_not_exists: false } } : {};
          first = false;
          try {
            return ((await this.rest.post(Routes.channelMessages(place.channelId), { body: { content, allowed_mentions: allowed, ...reference } })) as APIMessage).id;
          } catch (error) {
            throw discordError(error, 'posting the message');
          }
        },
        edit: async (id, content) => {
          try {
            await this.rest.patch(Routes.channelMessage(place.channelId, id), { body: { content, allowed_mentions: allowed } });
          } catch (error) {
            throw discordError(error, 'editing the message');
          }
        },
      },
      { limit: MESSAGE_LIMIT, pace: DISCORD_EDIT_PACE },
    );
  }

  /** "restyle is typing…" (lasts about 10 s or until the first post). */
  async showWorking(place: Place): Promise<void> {
    await this.rest.post(Routes.channelTyping(place.channelId)).catch((error: unknown) => {
      this.logger.debug({ err: discordError(error, 'typing').message }, 'discord: no typing indicator');
    });
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

/** Discord nonces are at most 25 characters: a hash of the job id and the part's index. */
export function jobNonce(job: string, part: number): string {
  return sha256(job, part).slice(0, 25);
}

function creditLine(userId: string, style: string | null | undefined): string {
  return `-# Posted by <@${userId}> with /restyle${style ? ` (style \`${style}\`)` : ''}`;
}
