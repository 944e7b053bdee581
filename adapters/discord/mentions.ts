import type { APIAllowedMentions } from 'discord.js';

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
  const users = unique(original.matchAll(/<@!?(\d{5,25})>/g));
  const roles = options.onBehalfOfUser ? [] : unique(original.matchAll(/<@&(\d{5,25})>/g));
  return { parse: [], users: users.slice(0, MAX_IDS), roles: roles.slice(0, MAX_IDS), replied_user: false };
}

/** Nothing pings: previews, notes, direct messages. */
export const NO_MENTIONS: APIAllowedMentions = { parse: [], replied_user: false };

function unique(matches: IterableIterator<RegExpMatchArray>): string[] {
  return [...new Set([...matches].map((m) => m[1]!))];
}
