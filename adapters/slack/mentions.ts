import type { Pingable } from '../../src/bot/safety.js';
import { findMentions, type Mention } from '../../src/restyle/mentions.js';

/**
 * Slack has no `allowed_mentions`: a `<!channel>` in posted text pings the channel. Every mention markup
 * that may not ping (see `pingable`) is escaped instead (`&lt;!channel&gt;`), so it shows as the text that
 * was written and pings no one. Plain `@everyone` is already inert on Slack.
 */
export function inertSlackMentions(text: string, allowed: Pingable): { text: string; inert: string[] } {
  const { out, refused } = rewriteRefused(text, allowed, (raw) => `&lt;${raw.slice(1, -1)}&gt;`);
  return { text: out, inert: [...new Set(refused.map((m) => m.key))] };
}

/**
 * For streamed answers (`markdown_text`): every mention markup that may not ping (see `pingable`) is written
 * as the plain text it shows (`<!channel>` → `@channel`, `<@U1|ana>` → `@ana`, `<@U1>` → `@U1`): without the
 * markup it pings no one, whatever `markdown_text` makes of `&lt;`.
 */
export function plainSlackMentions(text: string, allowed: Pingable): string {
  return rewriteRefused(text, allowed, shownAs).out;
}

/** Every Slack mention markup in `text` that may not ping, written as `as(raw)` instead. */
function rewriteRefused(text: string, allowed: Pingable, as: (raw: string) => string): { out: string; refused: Mention[] } {
  const refused = findMentions(text).filter((m) => m.raw.startsWith('<') && !allowed.has(m.key));
  let out = text;
  for (const m of [...refused].reverse()) out = `${out.slice(0, m.index)}${as(m.raw)}${out.slice(m.index + m.raw.length)}`;
  return { out, refused };
}

/** `<@U1|ana>` → `@ana`, `<!subteam^S1|@devs>` → `@devs`, `<!here>` → `@here`, `<@U1>` → `@U1`. */
function shownAs(raw: string): string {
  const inner = raw.slice(1, -1);
  const bar = inner.indexOf('|');
  if (bar >= 0) return `@${inner.slice(bar + 1).replace(/^@/, '')}`;
  return `@${inner.replace(/^[@!]/, '').replace(/\^.*$/, '')}`;
}
