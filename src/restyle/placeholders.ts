/**
 * Spans the style model must not touch — inline code, URLs, Slack and Discord mentions, channel links,
 * custom emoji — are swapped for numbered placeholders before the model sees the text, and swapped back
 * after. A reply that lost, duplicated or invented a placeholder is rejected (the caller falls back to
 * the original block), because a mangled link or mention is worse than an unstyled sentence.
 */
const PATTERNS: RegExp[] = [
  /(`+)[^`]*?\1/, // inline code (any backtick run length)
  /<(?:[@#!]|a?:\w+:|t:|\/|https?:|mailto:|tel:)[^<>\s|]*(?:\|[^<>]*)?>/, // Slack <@U…> <#C…|x> <!here> <url|label>; Discord <@…> <#…> <:name:id> <t:…> </cmd:id>
  /https?:\/\/[^\s<>()]+(?:\([^\s<>()]*\)[^\s<>()]*)*[^\s<>().,;:!?'"\]]/, // bare URLs (even glued to a word), without trailing punctuation
  /\bwww\.[^\s<>()]+[^\s<>().,;:!?'"\]]/,
  /(?<![\w:])(?::[a-z0-9_+-]{1,64}:)+(?![\w:])/, // :emoji: and :wave::skin-tone-2:
  /(?<!\w)@(?:everyone|here|channel)\b/, // plain-text mass mentions
];
const COMBINED = new RegExp(PATTERNS.map((p) => `(?:${p.source})`).join('|'), 'g');

const BRACKETS: ReadonlyArray<readonly [string, string]> = [
  ['⟦', '⟧'],
  ['⟪', '⟫'],
  ['〚', '〛'],
];

export interface Protected {
  /** The text with each protected span replaced by a placeholder. */
  text: string;
  /** The original spans, by placeholder index. */
  spans: string[];
  open: string;
  close: string;
}

export function protect(text: string): Protected {
  const [open, close] = brackets(text);
  const spans: string[] = [];
  const out = text.replace(COMBINED, (span) => {
    spans.push(span);
    return `${open}${spans.length - 1}${close}`;
  });
  return { text: out, spans, open, close };
}

/**
 * Brackets the text does not already contain, so a literal "⟦0⟧" in the input can't be confused with a
 * placeholder. A text using all three pairs (one about placeholders, say) gets two private-use characters.
 */
function brackets(text: string): readonly [string, string] {
  const free = BRACKETS.find(([o, c]) => !text.includes(o) && !text.includes(c));
  if (free) return free;
  const unused: string[] = [];
  for (let cp = 0xe000; unused.length < 2 && cp <= 0xf8ff; cp++) {
    const ch = String.fromCodePoint(cp);
    if (!text.includes(ch)) unused.push(ch);
  }
  return [unused[0]!, unused[1]!];
}

/** Put the spans back; `null` when the reply lost, repeated, altered or invented a placeholder. */
export function restore(styled: string, p: Protected): string | null {
  if (p.spans.length === 0) return styled.includes(p.open) ? null : styled;
  const token = new RegExp(`${escape(p.open)}\\s*(\\d+)\\s*${escape(p.close)}`, 'g');
  const seen = new Set<number>();
  let ok = true;
  const out = styled.replace(token, (_, n: string) => {
    const i = Number(n);
    if (i >= p.spans.length || seen.has(i)) ok = false;
    seen.add(i);
    return p.spans[i] ?? '';
  });
  if (!ok || seen.size !== p.spans.length) return null;
  // A stray bracket means the model mangled a placeholder ("⟦1" or "1⟧").
  const strays = (t: string): number => t.split(p.open).length + t.split(p.close).length - 2;
  const expected = strays(p.text.replace(token, '')) + p.spans.reduce((n, span) => n + strays(span), 0);
  if (strays(out) !== expected) return null;
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
