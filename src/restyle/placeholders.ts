/**
 * THE span codec, for live requests and for corpus building alike (the seed's rule: the model sees at
 * inference literally what it saw in training). Spans the style model must not touch — inline code, URLs, Slack and Discord mentions, channel links,
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
  // Plain-text mass mentions as the mention guard sees them (src/restyle/mentions.ts): any case, full-width, glued to a word.
  /[@\uFF20\uFE6B](?:[Ee][Vv][Ee][Rr][Yy][Oo][Nn][Ee]|[Hh][Ee][Rr][Ee]|[Cc][Hh][Aa][Nn][Nn][Ee][Ll])/,
];
const COMBINED = new RegExp(PATTERNS.map((p) => `(?:${p.source})`).join('|'), 'g');
/** Every pattern needs one of these: a text without any has no span to protect (most prose), so skip the scan. */
const MAY_HAVE_SPANS = /[`<:@\uFF20\uFE6B]|www\./;

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

/** Encode `text`; `use` forces the bracket pair (the other side of a training pair must share it). */
export function protect(text: string, use?: readonly [string, string]): Protected {
  const [open, close] = use ?? brackets(text);
  const spans: string[] = [];
  if (!MAY_HAVE_SPANS.test(text)) return { text, spans, open, close };
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
  const token = tokenPattern(p);
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

/** Why `reply` does not carry each of `p`'s placeholders exactly once (and nothing else), or null. */
export function placeholderProblem(reply: string, p: Protected): string | null {
  if (restore(reply, p) !== null) return null;
  const token = tokenPattern(p);
  const found = [...reply.matchAll(token)].map((m) => Number(m[1]));
  const lost = p.spans.map((_, i) => i).filter((i) => !found.includes(i));
  if (lost.length > 0) return `lost placeholder ${lost.slice(0, 3).map((i) => `${p.open}${i}${p.close} (${JSON.stringify(p.spans[i])})`).join(', ')}${lost.length > 3 ? ` and ${lost.length - 3} more` : ''}`;
  return `placeholders repeated, invented or mangled (expected ${p.open}0${p.close}…${p.open}${p.spans.length - 1}${p.close} once each)`;
}

/** One direction of a training pair, in the live encoding. */
export interface LivePair {
  /** Exactly what the filter sends for the raw input: `protect(restore(input)).text`. */
  input: string;
  /** The reply, with the same placeholders. */
  output: string;
  /** The span table of this numbering (placeholder i stands for spans[i]). */
  spans: string[];
  open: string;
  close: string;
}

/**
 * Re-number a pair encoded with `p` so that its input is byte for byte what the filter will send when
 * it is given the raw input at inference: placeholders numbered in order of appearance in the input,
 * with the brackets the filter picks for that text. `input` and `output` must each carry every
 * placeholder of `p` once. A reason string when the spans do not survive the round trip (a restored URL
 * glued to the next word, say), since such a pair would teach the model text it will never be sent.
 */
export function livePair(p: Protected, input: string, output: string): LivePair | string {
  const rawInput = restore(input, p);
  const rawOutput = restore(output, p);
  if (rawInput === null || rawOutput === null) return placeholderProblem(rawInput === null ? input : output, p) ?? 'placeholders altered';
  const live = protect(rawInput);
  // Without spans, `restore` has checked neither side holds an opening bracket: nothing to renumber.
  if (p.spans.length === 0) {
    if (live.spans.length > 0) return 'protected spans do not survive a round trip (a restored span runs into its neighbour)';
    if (rawOutput.includes(live.open) || rawOutput.includes(live.close)) return `the reply contains the placeholder brackets ${live.open}${live.close}`;
    return { input: live.text, output, spans: live.spans, open: live.open, close: live.close };
  }
  const order = [...input.matchAll(tokenPattern(p))].map((m) => Number(m[1]));
  if (live.spans.length !== order.length || order.some((old, i) => p.spans[old] !== live.spans[i])) {
    return 'protected spans do not survive a round trip (a restored span runs into its neighbour)';
  }
  if (rawOutput.includes(live.open) || rawOutput.includes(live.close)) return `the reply contains the placeholder brackets ${live.open}${live.close}`;
  const renumber = new Map(order.map((old, i) => [old, i]));
  const out = output.replace(tokenPattern(p), (_, n: string) => `${live.open}${renumber.get(Number(n))}${live.close}`);
  return { input: live.text, output: out, spans: live.spans, open: live.open, close: live.close };
}

/**
 * Encode `raw` with the spans of `p` (same brackets, same numbers for the same span strings): the
 * neutral side of a pair a person wrote. A reason string when the two sides do not carry the same spans.
 */
export function encodeLike(raw: string, p: Protected): string | { reason: string } {
  if (raw.includes(p.open) || raw.includes(p.close)) return { reason: `the neutral side contains the placeholder brackets ${p.open}${p.close}` };
  const q = protect(raw, [p.open, p.close]);
  const free = p.spans.map((_, i) => i);
  const index: number[] = [];
  for (const span of q.spans) {
    const at = free.findIndex((i) => p.spans[i] === span);
    if (at < 0) return { reason: `the neutral side has ${JSON.stringify(span)}, which the styled side lacks` };
    index.push(free.splice(at, 1)[0]!);
  }
  if (free.length > 0) return { reason: `the neutral side lost ${JSON.stringify(p.spans[free[0]!])}` };
  return q.text.replace(tokenPattern(q), (_, n: string) => `${p.open}${index[Number(n)]}${p.close}`);
}

/** One pattern per bracket pair (a handful in a process), so a block's checks don't compile it again and again. */
const TOKEN_PATTERNS = new Map<string, RegExp>();

/** The placeholder pattern of `p`'s brackets. Global: used only with replace/matchAll/split, which never read its lastIndex. */
function tokenPattern(p: Pick<Protected, 'open' | 'close'>): RegExp {
  const key = `${p.open}${p.close}`;
  let re = TOKEN_PATTERNS.get(key);
  if (!re) {
    if (TOKEN_PATTERNS.size >= 64) TOKEN_PATTERNS.clear();
    re = new RegExp(`${escape(p.open)}\\s*(\\d+)\\s*${escape(p.close)}`, 'g');
    TOKEN_PATTERNS.set(key, re);
  }
  return re;
}
