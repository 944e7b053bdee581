import { encodeLike, livePair, placeholderProblem, protect, restore, type LivePair, type Protected } from '../restyle/placeholders.js';

/** A styled block and its neutral side, both in the encoding live requests use. */
export interface EncodedPair {
  /** Styler example: input = the neutral side as the filter would send it, output = the styled block. */
  styler: LivePair;
  /** De-styler example: input = the styled block as the filter's conversion step would send it, output = neutral. */
  destyler: LivePair;
  /** The neutral side with its spans restored (what `restyle text` is given). */
  neutral: string;
}

/** The encoding of a styled block the editor is shown: every protected span a placeholder. */
export function encodeBlock(styled: string): Protected {
  return protect(styled.trim());
}

/**
 * The pair for a styled block and its neutral side — the editor's answer (`encoded`, with the block's
 * placeholders) or a side a person approved (`raw`, encoded here with the same placeholders). Both
 * examples of a pair are numbered the way the filter numbers a live request, so each training line is
 * literally what the model will be sent. A reason when the sides do not carry the same spans. `p` is
 * `encodeBlock(styled)`, when the caller has it already.
 */
export function encodedPair(styled: string, neutral: { encoded: string } | { raw: string }, p: Protected = encodeBlock(styled)): EncodedPair | { reason: string } {
  let enc: string;
  if ('encoded' in neutral) enc = neutral.encoded.trim();
  else {
    const e = encodeLike(neutral.raw.trim(), p);
    if (typeof e !== 'string') return e;
    enc = e;
  }
  const problem = placeholderProblem(enc, p);
  if (problem) return { reason: problem };
  const styler = livePair(p, enc, p.text);
  if (typeof styler === 'string') return { reason: styler };
  const destyler = livePair(p, p.text, enc);
  if (typeof destyler === 'string') return { reason: destyler };
  return { styler, destyler, neutral: restore(enc, p)! };
}
