import { AllowedMentionsTypes, type APIAllowedMentions } from 'discord.js';
import { pingable } from '../../src/bot/safety.js';

/** Discord accepts at most 100 ids per list. */
const MAX_IDS = 100;

/**
 * `allowed_mentions` for text the bot posts: only users the asking human mentioned (live, outside code) may
 * be pinged; never @everyone, @here or roles unless the channel allows broadcasts (`safety.allowBroadcast`),
 * and not the author of a message the bot replies to. Discord then ignores any other mention in the text,
 * whatever the model wrote.
 *
 * `onBehalfOfUser`: the text was typed by a person (a /restyle preview), whose own right to ping roles
 * Discord never checked; only user mentions are kept then.
 */
export function allowedMentionsFor(asked: string, options: { onBehalfOfUser?: boolean; broadcast?: boolean } = {}): APIAllowedMentions {
  const allowed = [...pingable(asked, { broadcast: Boolean(options.broadcast) && !options.onBehalfOfUser })];
  const ids = (re: RegExp): string[] => allowed.map((key) => re.exec(key)?.[1]).filter((id): id is string => id !== undefined);
  const users = ids(/^<@(\d{5,25})>$/);
  const roles = ids(/^<@&(\d{5,25})>$/);
  const everyone = allowed.some((key) => key === '@everyone' || key === '@here');
  return { parse: everyone ? [AllowedMentionsTypes.Everyone] : [], users: users.slice(0, MAX_IDS), roles: roles.slice(0, MAX_IDS), replied_user: false };
}

/** Nothing pings: previews, notes, direct messages. */
export const NO_MENTIONS: APIAllowedMentions = { parse: [], replied_user: false };
