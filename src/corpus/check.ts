import { placeholderProblem, restore, type Protected } from '../restyle/placeholders.js';

/**
 * Checks on the editor's neutral rewrite of a block. The seed's point is that de-styling keeps every fact:
 * a pair whose neutral side lost a number, a URL or a name would teach the styler to invent them, and the
 * de-styler to drop them, so such pairs are rejected (and reported with the reason), never written.
 */
export interface CheckOptions {
  /** Reject outputs shorter than this fraction of the source (default 0.4)… */
  minLengthRatio?: number;
  /** …when the source has at least this many characters (short chat lines legitimately shrink a lot). */
  minLengthFloor?: number;
  /**
   * The span table the source was encoded with (the codec in src/restyle/placeholders.ts): `source` and
   * `neutral` are then encoded text, every placeholder must come back exactly once, and the facts are
   * checked on both sides restored.
   */
  spans?: Protected;
}

const URL = /\b(?:https?:\/\/|www\.)[^\s<>()|]+[^\s<>().,;:!?'"\]|]/g;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
// Slack and Discord mentions, channel links and custom emoji: <@U123>, <#C1|general>, <:name:id>.
const CHAT_TOKEN = /<(?:[@#!]|a?:\w+:)[^<>\s|]*(?:\|[^<>]*)?>/g;
const INLINE_CODE = /(`+)[^`\n]+?\1/g;
// Digits, with thousands separators and decimals ("1,000.50", "3.5", "2024").
const NUMBER = /\d+(?:[.,]\d+)*/g;
// A capitalised word not at the start of a sentence: a cheap, language-agnostic proxy for a name.
const NAME = /(?<=[\p{Ll}\d,;:)]\s+)\p{Lu}\p{L}+/gu;

/** The reason a rewrite is unusable, or null when it is fine. `finishReason` is the editor's. */
export function checkNeutral(source: string, neutral: string, finishReason?: string | null, options: CheckOptions = {}): string | null {
  if (neutral.trim() === '') return 'empty output';
  if (finishReason === 'length') return 'output cut off at the token limit (finish_reason "length")';
  if (finishReason === 'content_filter') return 'output withheld by the content filter';
  const p = options.spans;
  if (p) {
    const problem = placeholderProblem(neutral, p);
    if (problem) return problem;
    return checkFacts(restore(source, p)!.trim(), restore(neutral, p)!.trim(), options);
  }
  return checkFacts(source.trim(), neutral.trim(), options);
}

function checkFacts(src: string, out: string, options: CheckOptions): string | null {
  const floor = options.minLengthFloor ?? 60;
  const ratio = out.length / Math.max(1, src.length);
  if (src.length >= floor && ratio < (options.minLengthRatio ?? 0.4)) return `output is ${Math.round(ratio * 100)}% of the source length`;
  const lost = (kind: string, wanted: Iterable<string>, has: (x: string) => boolean): string | null => {
    const missing = [...new Set(wanted)].filter((x) => !has(x));
    return missing.length > 0 ? `lost ${kind} ${missing.slice(0, 3).map((x) => JSON.stringify(x)).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}` : null;
  };
  const includes = (x: string): boolean => out.includes(x);
  const numbers = new Set((out.match(NUMBER) ?? []).map(plainNumber));
  // Names are matched as words, case-insensitively: "the Union" → "the union" keeps the fact.
  const words = new Set((out.match(/\p{L}+/gu) ?? []).map((w) => w.toLowerCase()));
  const prose = withoutSpans(src);
  return (
    lost('URL', spansOf(src, URL), includes) ??
    lost('email address', spansOf(src, EMAIL), includes) ??
    lost('mention', spansOf(src, CHAT_TOKEN), includes) ??
    lost('code', spansOf(src, INLINE_CODE), includes) ??
    lost('number', (prose.match(NUMBER) ?? []).map(plainNumber), (n) => numbers.has(n)) ??
    lost('name', prose.match(NAME) ?? [], (n) => words.has(n.toLowerCase()))
  );
}

/** Each span pattern needs one of these in the text: most prose has none, so most patterns need not run. */
const NEEDS: ReadonlyMap<RegExp, readonly string[]> = new Map([
  [URL, ['http', 'www.']],
  [EMAIL, ['@']],
  [CHAT_TOKEN, ['<']],
  [INLINE_CODE, ['`']],
]);

function mayMatch(text: string, pattern: RegExp): boolean {
  return NEEDS.get(pattern)!.some((s) => text.includes(s));
}

function spansOf(text: string, pattern: RegExp): string[] {
  return mayMatch(text, pattern) ? (text.match(pattern) ?? []) : [];
}

/** "1,000" and "1000" are the same number; a trailing separator is punctuation. */
function plainNumber(n: string): string {
  return /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(n) ? n.replace(/,/g, '') : n;
}

/** The text without URLs, mentions and code (their digits and capitals are checked as whole spans). */
function withoutSpans(text: string): string {
  let out = text;
  // Replacing with spaces adds none of the characters a later pattern needs: checking the original is enough.
  for (const pattern of [URL, EMAIL, CHAT_TOKEN, INLINE_CODE]) if (mayMatch(text, pattern)) out = out.replace(pattern, ' ');
  return out;
}

/** Whether a block has any words once links, mentions, code and emoji are taken out (else it teaches nothing). */
export function hasWords(text: string): boolean {
  return /\p{L}{2,}/u.test(withoutSpans(text).replace(/:[a-z0-9_+-]+:/g, ' '));
}
