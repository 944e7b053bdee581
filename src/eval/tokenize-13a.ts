/**
 * sacreBLEU's default `13a` tokenizer (the mteval-v13a.pl rules WMT scores with), so our BLEU matches
 * `sacrebleu` on the same text: unescape a few entities, split punctuation and symbols off words, split
 * `.` and `,` unless between digits, split `-` after a digit, collapse whitespace.
 * Source: sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py (Post 2018, "A Call for Clarity in
 * Reporting BLEU Scores").
 */
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Symbols and punctuation: the ranges {-~ [-` space-& (-+ :-@ and the slash.
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // Period and comma unless preceded by a digit…
  [/([^0-9])([.,])/g, '$1 $2 '],
  // …and unless followed by a digit.
  [/([.,])([^0-9])/g, ' $1 $2'],
  // A dash after a digit.
  [/([0-9])(-)/g, '$1 $2 '],
];

export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, repl] of RULES) s = s.replace(re, repl);
  return splitWhitespace(s).join(' ');
}

/** Python's `str.split()` with no argument: runs of whitespace, no empty pieces. */
export function splitWhitespace(s: string): string[] {
  return s.split(/\s+/u).filter((w) => w !== '');
}
