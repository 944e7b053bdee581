import { addedMentions } from '../restyle/mentions.js';

export interface GuardedText {
  text: string;
  /** Mentions the styled text added and that were therefore refused. */
  blocked: string[];
}

/**
 * The last check before anything is posted: text the bot posts may never ping more people than the
 * original did. The filter already falls back per block; this catches everything else (edited previews,
 * a model answer styled outside the filter). When the styled text adds a mention, the original is posted.
 */
export function guardMentions(original: string, styled: string): GuardedText {
  const blocked = addedMentions(original, styled);
  return blocked.length === 0 ? { text: styled, blocked } : { text: original, blocked };
}
