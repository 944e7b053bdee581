import { addedLinks } from '../restyle/links.js';
import { addedMentions, findMentions } from '../restyle/mentions.js';

export interface GuardedText {
  text: string;
  /** Mentions (and links) the styled text added and that were therefore refused. */
  blocked: string[];
}

/**
 * The last check before anything is posted: text the bot posts may never ping more people than the
 * original did, nor carry a link it did not have. The filter already falls back per block; this catches
 * everything else (edited previews, a model answer styled outside the filter). When the styled text adds
 * a live mention or a link, the original is posted. (Who may be pinged at all is the posters' business:
 * see `pingable` and the platforms' mention handling.)
 */
export function guardMentions(original: string, styled: string): GuardedText {
  const blocked = [...addedMentions(original, styled), ...addedLinks(original, styled)];
  return blocked.length === 0 ? { text: styled, blocked } : { text: original, blocked };
}

/** What may ping in one post: mention keys as `findMentions` normalises them (`<@U1>`, `<@123>`, `<@&9>`, `<!here>`…). */
export type Pingable = ReadonlySet<string>;

/**
 * The mentions a post may ping: the live user mentions in the asking human's words, and — only in a
 * channel listed in `safety.allowBroadcast` — the live broadcast and group mentions there too
 * (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `@everyone`, roles). Everything else the
 * posters make inert: escaped text on Slack, left out of `allowed_mentions` on Discord.
 */
export function pingable(asked: string, options: { broadcast: boolean }): Pingable {
  return new Set(findMentions(asked).filter((m) => m.live && (m.kind === 'user' || options.broadcast)).map((m) => m.key));
}

/** Whether `safety.allowBroadcast` lists the channel (`slack:C0123`, `discord:1122…`). */
export function broadcastAllowed(allowBroadcast: readonly string[] | undefined, channelKey: string): boolean {
  return (allowBroadcast ?? []).includes(channelKey);
}
