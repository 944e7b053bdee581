import { wellFormed } from '../util/well-formed.js';

/**
 * Slack's escaping, in one place. Slack sends message text with `&`, `<` and `>` escaped (`&amp;`, `&lt;`,
 * `&gt;`) so they cannot be confused with its markup (`<@U…>`, `<#C…|x>`, `<!here>`, `<url|label>`); a quote
 * arrives as `&gt; …`. restyle works on the text as people typed it — in exports, saved samples and live
 * messages alike, so the model sees the same text in training and at inference — and escapes it again on
 * the way back to Slack.
 */

/** Slack message text → the text as typed (markup left as it is; `&gt;` quotes become `>` quotes). */
export function decodeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Slack markup, which is sent as it is: mentions, channel links, special mentions and links. */
const MARKUP = /<(?:[@#!][^<>\s|]*|(?:https?|mailto|tel):[^<>\s|]*)(?:\|[^<>]*)?>/g;

/**
 * Text as typed → Slack message text: `&`, `<` and `>` escaped everywhere but in Slack markup, and a `>`
 * that starts a line kept, since it invokes a quote (Slack: escape them "if they're not being used to invoke
 * special formatting").
 */
export function encodeSlack(input: string): string {
  const text = wellFormed(input);
  let out = '';
  let at = 0;
  for (const m of text.matchAll(MARKUP)) {
    out += escapeProse(text.slice(at, m.index), at === 0 || text[at - 1] === '\n') + m[0];
    at = m.index + m[0].length;
  }
  return out + escapeProse(text.slice(at), at === 0 || text[at - 1] === '\n');
}

/** Slack's three escapes (&, <, >): text shown as typed, so `<!channel>` or `<@U1>` in it stays inert. */
export function escapeSlack(s: string): string {
  return wellFormed(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeProse(s: string, startsLine: boolean): string {
  const escaped = escapeSlack(s);
  // A quote marker: `>` at the start of a line (after optional spaces).
  return escaped.replace(/(^|\n)([ \t]*)&gt;/g, (all, nl: string, sp: string, offset: number) => (offset === 0 && nl === '' && !startsLine ? all : `${nl}${sp}>`));
}
