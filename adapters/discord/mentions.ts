import type { APIAllowedMentions } from 'discord.js';
import { findMentions } from '../../src/restyle/mentions.js';

/** Discord accepts at most 100 ids per list. */
const MAX_IDS = 100;

/**
 * `allowed_mentions` for text the bot posts: only users (and, for the bot's own answers, roles) that the
 * original text mentioned may be pinged; never @everyone or @here, and not the author of a message the
 * bot replies to. Discord then ignores any other mention in the text, whatever the model wrote.
 *
 * `onBehalfOfUser`: the text was typed by a person (a /restyle preview), whose own right to ping roles
 * Discord never checked; only user mentions are kept then.
 */
export function allowedMentionsFor(original: string, options: { onBehalfOfUser?: boolean } = {}): APIAllowedMentions {
  // Only live mentions count: `<@&role>` in backticks pings no one in the original, so no one in the post.
  const live = findMentions(original).filter((m) => m.live);
  const ids = (re: RegExp): string[] => [...new Set(live.map((m) => re.exec(m.key)?.[1]).filter((id): id is string => id !== undefined))];
  const users = ids(/^<@(\d{5,25})>$/);
  const roles = options.onBehalfOfUser ? [] : ids(/^<@&(\d{5,25})>$/);
  return { parse: [], users: users.slice(0, MAX_IDS), roles: roles.slice(0, MAX_IDS), replied_user: false };
}

/** Nothing pings: previews, notes, direct messages. */
export const NO_MENTIONS: APIAllowedMentions = { parse: [], replied_user: false };
