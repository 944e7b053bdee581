import type { BotSettings } from '../config/schema.js';
import { note } from './replies.js';
import type { Reply } from './types.js';

/**
 * How a platform spells what help mentions, where it differs from Slack's (Discord's typed options:
 * `/restyle text text:TEXT`, and emoji shown as characters rather than `:names:`).
 */
export interface HelpSyntax {
  text: string;
  style: string;
  map: string;
  emoji(name: string): string;
}

/** `/restyle help` (and `/restyle` alone). `command` is how the platform spells it (`/restyle`). */
export function help(bot: Pick<BotSettings, 'reactions'>, command = '/restyle', syntax: Partial<HelpSyntax> = {}): Reply {
  const r = bot.reactions;
  const s: HelpSyntax = { text: `${command} TEXT`, style: '`style=NAME`', map: `${command} map STYLE`, emoji: (name) => `:${name}:`, ...syntax };
  return note(
    [
      `\`${s.text}\` shows TEXT in this channel's style, with Post, Edit, Save and Discard. Add ${s.style} for another style.`,
      `\`${command} styles\` lists the styles; \`${command} status\` shows this channel's style, model and sample counts.`,
      `\`${s.map}\` / \`${command} unmap\` (admins) set this channel's style.`,
      `\`${command} review\` (reviewers) approves or rejects saved samples; \`${command} forget\` deletes the samples you saved or wrote.`,
      `React with ${s.emoji(r.sample)} to save a message as a style sample (remove it to take it back before review); ${s.emoji(r.approve)} / ${s.emoji(r.reject)} on a restyled reply says whether it worked.`,
    ].join('\n'),
  );
}
