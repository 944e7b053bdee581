import { createHash } from 'node:crypto';

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
  const code = tokens.filter((t) => CODE_TOKEN.some((re) => re.test(t.replace(/[.,;:!?)"']+$/, '').replace(/^["'(]+/, '')))).length;
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
  return createHash('sha256').update(normal).digest('base64').slice(0, 12);
}

/**
 * The rules over a whole corpus: a first pass `see`s every block so repeats are known before the first
 * copy is kept; then `reasonFor` each block, counted by reason.
 */
export class NoiseFilter {
  readonly counts: Record<NoiseReason, number> = { short: 0, linkOnly: 0, code: 0, repeated: 0 };
  private readonly seen = new Map<string, number>();

  constructor(readonly rules: NoiseRules = NOISE_DEFAULTS) {}

  /** Whether a first pass over the inputs is needed (to count repeats). */
  get countsRepeats(): boolean {
    return this.rules.maxRepeats > 0;
  }

  see(block: string): void {
    if (noiseOf(block, this.rules)) return;
    const key = repeatKey(block);
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }

  /** The reason to leave a block out, counted; null keeps it. */
  reasonFor(block: string): NoiseReason | null {
    let reason: NoiseReason | null = noiseOf(block, this.rules);
    if (!reason && this.countsRepeats && (this.seen.get(repeatKey(block)) ?? 0) > this.rules.maxRepeats) reason = 'repeated';
    if (reason) this.counts[reason] += 1;
    return reason;
  }
}
