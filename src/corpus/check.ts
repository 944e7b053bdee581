/**
 * Checks on an editor's neutral rewrite. The seed's point is that de-styling keeps every fact; a rewrite
 * that dropped a number, a URL or a name would teach the styler to invent them, so it is rejected.
 */
export interface CheckOptions {
  /** Reject outputs shorter than this fraction of the source. */
  minLengthRatio?: number;
}

const NUMBER = /\d+(?:[.,]\d+)*/g;
const URL = /\bhttps?:\/\/[^\s<>()]+[^\s<>().,;:!?'"\]]/g;
// Capitalised words not at a sentence start: a cheap, language-agnostic proxy for names.
const NAME = /(?<=[a-z,;:]\s)[A-Z][a-z]{2,}(?:\s[A-Z][a-z]{2,})*/g;

export function checkNeutral(source: string, neutral: string, options: CheckOptions = {}): string | null {
  const out = neutral.trim();
  if (out === '') return 'empty output';
  const ratio = out.length / source.trim().length;
  if (ratio < (options.minLengthRatio ?? 0.4)) return `output is ${Math.round(ratio * 100)}% of the source length`;
  const missing = (re: RegExp, kind: string): string | null => {
    const lost = [...new Set(source.match(re) ?? [])].filter((x) => !out.includes(x));
    return lost.length > 0 ? `lost ${kind} ${lost.slice(0, 3).map((x) => `"${x}"`).join(', ')}` : null;
  };
  return missing(URL, 'URL') ?? missing(NUMBER, 'number') ?? missing(NAME, 'name');
}
