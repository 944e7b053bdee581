import { addedLinks } from '../restyle/links.js';
import { addedMentions } from '../restyle/mentions.js';

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
