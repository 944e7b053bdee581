import { sha256Of } from '../util/hash.js';

/**
 * Chat exports carry text that is nobody's style: one-word replies, pasted code and log lines, link-only
 * spam, the same message posted again and again. Trained on, it teaches the styler to answer "Done" or to
 * emit log lines. These rules leave such blocks out before anything is paid for; each is tunable from the
 * command line, and every block left out is counted by reason in report.json.
 */
export interface NoiseRules {
  /** Blocks with fewer words are left out (`--min-words`; a word has a letter or digit; links, mentions, emoji and inline code don't count). */
  minWords: number;
  /** Blocks whose share of code-like tokens is above this are left out (`--max-code-share`, 0–1; 1 keeps all). */
  maxCodeShare: number;
  /** A block with a link needs at least this many words besides it (`--link-words`; 0 keeps all). */
  linkWords: number;
  /** Text posted more often than this is spam: every copy is left out (`--max-repeats`; 0 keeps all). */
  maxRepeats: number;
}

export const NOISE_DEFAULTS: NoiseRules = { minWords: 4, maxCodeShare: 0.5, linkWords: 5, maxRepeats: 2 };

export type NoiseReason = 'short' | 'linkOnly' | 'code' | 'repeated';

const LINK = /<(?:https?|mailto):[^>\s]*>|<(?:https?|mailto):[^>|]*\|[^>]*>|\b(?:https?:\/\/|www\.)\S+/gi;
const MARKUP = /<[@#!][^>]*>|<a?:\w+:\d+>|:[a-z0-9_+-]+:|(`+)[^`]*?\1/gi;
const WORD = /[\p{L}\p{N}]/u;
const CODE_TOKEN = [
  /[=;{}]|\(\)|\[\]|->|=>|::|&&|\|\||\$\w|\\\w|<\//, // operators, braces, calls, variables
  /\p{L}_\p{L}|\p{L}_\d|\w_$|^_\w/u, // snake_case
  /\p{Ll}\p{Lu}|\p{Lu}{2,}\p{Ll}+\p{Lu}/u, // camelCase and random mixed-case ids
  /\p{L}\d+\p{L}|^\p{Lu}\d{3,}/u, // ids mixing letters and digits (I0327, a1b2c3)
  /\d{1,2}:\d{2}:\d{2}/, // timestamps in log lines
  /\w\.(?:py|js|ts|cpp|c|h|go|rs|java|rb|sh|json|yaml|yml|log)\b|^\.{0,2}\/\w+\//, // file names and paths
];

/**
 * A word, a number, or either in quotes, brackets or followed by punctuation ("Hello,", "(see", "12:"): none
 * of `CODE_TOKEN` can match what is left once the punctuation is stripped (no symbol, underscore, digit
 * beside a letter, or capital after the first letter), so most tokens of prose skip the six tests.
 */
const PLAIN_TOKEN = /^["'(]*(?:\p{Lu}?\p{Ll}*|\d+)[.,;:!?)"']*$/u;

/** Words of a block (tokens with a letter or digit), links and chat markup aside. */
function wordsOf(text: string): string[] {
  return text
    .replace(LINK, ' ')
    .replace(MARKUP, ' ')
    .split(/\s+/)
    .filter((t) => WORD.test(t));
}

/** Share (0–1) of a block's tokens that look like code, log output or machine ids rather than words. */
export function codeShare(text: string): number {
  const tokens = text.replace(LINK, ' ').replace(/<[@#!][^>]*>/g, ' ').split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return 0;
  const code = tokens.filter((t) => !PLAIN_TOKEN.test(t) && CODE_TOKEN.some((re) => re.test(t.replace(/[.,;:!?)"']+$/, '').replace(/^["'(]+/, '')))).length;
  return code / tokens.length;
}

/** Why a block is noise by its own text (repeats are counted across the corpus), or null. */
export function noiseOf(block: string, rules: NoiseRules): Exclude<NoiseReason, 'repeated'> | null {
  const words = wordsOf(block).length;
  LINK.lastIndex = 0;
  if (rules.linkWords > 0 && LINK.test(block) && words < rules.linkWords) return 'linkOnly';
  if (rules.maxCodeShare < 1 && codeShare(block) > rules.maxCodeShare) return 'code';
  if (words < rules.minWords) return 'short';
  return null;
}

/** The same message however it was re-posted: case, spacing, links and mentions aside. */
function repeatKey(block: string): string {
  const normal = block.toLowerCase().replace(LINK, 'URL').replace(/<[@#!][^>]*>/g, '@').replace(/\s+/g, ' ').trim();
  return sha256Of(normal, 'base64').slice(0, 12);
}

const OWN_REASONS: ReadonlyArray<Exclude<NoiseReason, 'repeated'>> = ['short', 'linkOnly', 'code'];

/**
 * The rules over a whole corpus: a first pass `see`s every block so repeats are known before the first
 * copy is kept; then `reasonFor` each block, counted by reason.
 *
 * The first pass remembers what it found for each block in turn (its own noise reason or its repeat
 * counter: 8 bytes a block), so the second pass over the same blocks in the same order does not work the
 * rules out again. A block that is not the one seen at that place (its length differs) is worked out anew,
 * and so is every block after it.
 */
export class NoiseFilter {
  readonly counts: Record<NoiseReason, number> = { short: 0, linkOnly: 0, code: 0, repeated: 0 };
  /** Repeat key → index in `repeats`. */
  private readonly slots = new Map<string, number>();
  private readonly repeats: number[] = [];
  /** Per block seen, in order: its repeat counter's index, or −1 − its own reason's index in OWN_REASONS. */
  private found = new Int32Array(1024);
  private lengths = new Uint32Array(1024);
  private seenCount = 0;
  private cursor = 0;
  private aligned = true;

  constructor(readonly rules: NoiseRules = NOISE_DEFAULTS) {}

  /** Whether a first pass over the inputs is needed (to count repeats). */
  get countsRepeats(): boolean {
    return this.rules.maxRepeats > 0;
  }

  see(block: string): void {
    const own = noiseOf(block, this.rules);
    let value: number;
    if (own) value = -1 - OWN_REASONS.indexOf(own);
    else {
      const key = repeatKey(block);
      let slot = this.slots.get(key);
      if (slot === undefined) {
        slot = this.repeats.push(0) - 1;
        this.slots.set(key, slot);
      }
      this.repeats[slot]! += 1;
      value = slot;
    }
    this.remember(value, block.length);
  }

  /** The reason to leave a block out, counted; null keeps it. */
  reasonFor(block: string): NoiseReason | null {
    const i = this.cursor++;
    this.aligned &&= i < this.seenCount && this.lengths[i] === block.length;
    let reason: NoiseReason | null;
    if (this.aligned) {
      const value = this.found[i]!;
      reason = value < 0 ? OWN_REASONS[-1 - value]! : this.repeats[value]! > this.rules.maxRepeats ? 'repeated' : null;
    } else {
      reason = noiseOf(block, this.rules);
      if (!reason && this.countsRepeats) {
        const slot = this.slots.get(repeatKey(block));
        if ((slot === undefined ? 0 : this.repeats[slot]!) > this.rules.maxRepeats) reason = 'repeated';
      }
    }
    if (reason) this.counts[reason] += 1;
    return reason;
  }

  private remember(value: number, length: number): void {
    if (this.seenCount === this.found.length) {
      const found = new Int32Array(this.found.length * 2);
      found.set(this.found);
      this.found = found;
      const lengths = new Uint32Array(this.lengths.length * 2);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
    this.found[this.seenCount] = value;
    this.lengths[this.seenCount++] = length;
  }
}
