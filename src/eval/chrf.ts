/**
 * chrF as sacreBLEU 2.x computes it by default (Popović 2015, "chrF: character n-gram F-score for automatic
 * MT evaluation"): character n-grams of order 1…6 with whitespace removed, per-order counts summed over the
 * corpus, precision and recall averaged over the orders both sides have n-grams for ("effective order"),
 * then F-beta with β = 2 (recall weighs twice as much as precision). Scores are 0–100. Checked against
 * `sacrebleu` 2.6.0 in test/eval/metrics.test.ts.
 */
export const CHRF_ORDER = 6;
export const CHRF_BETA = 2;

/** Per order n (index n−1): [hypothesis n-grams, reference n-grams, matches]. */
export type ChrfStats = number[];

function charNgrams(text: string, order: number): Array<Map<string, number>> {
  // Code points, like Python's str indexing; whitespace removed (sacreBLEU's default, whitespace=False).
  const chars = Array.from(text.split(/\s+/u).join(''));
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= order; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let hypCount = 0;
  let match = 0;
  for (const [g, c] of hyp) {
    hypCount += c;
    const r = ref.get(g);
    if (r !== undefined) match += Math.min(c, r);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  // sacreBLEU: hypothesis n-grams don't count for an order the reference has none of.
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/** F-score 0–100 from (summed) statistics. */
export function chrfFromStats(stats: ChrfStats, beta = CHRF_BETA): number {
  const factor = beta ** 2;
  let precision = 0;
  let recall = 0;
  let effective = 0;
  for (let i = 0; i + 2 < stats.length; i += 3) {
    const [nHyp, nRef, nMatch] = [stats[i]!, stats[i + 1]!, stats[i + 2]!];
    if (nHyp > 0 && nRef > 0) {
      precision += nMatch / nHyp;
      recall += nMatch / nRef;
      effective += 1;
    }
  }
  if (effective === 0) return 0;
  precision /= effective;
  recall /= effective;
  if (precision + recall === 0) return 0;
  return (100 * ((1 + factor) * precision * recall)) / (factor * precision + recall);
}

/** Statistics of one hypothesis: with several references, those of the best-scoring one. */
export function chrfStats(hypothesis: string, references: string | readonly string[], order = CHRF_ORDER, beta = CHRF_BETA): ChrfStats {
  const hyp = charNgrams(hypothesis, order);
  let best: ChrfStats = [];
  let bestScore = -1;
  for (const reference of typeof references === 'string' ? [references] : references) {
    const ref = charNgrams(reference, order);
    const stats = hyp.flatMap((h, i) => matchStats(h, ref[i]!));
    const score = chrfFromStats(stats, beta);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

export function sumChrfStats(all: readonly ChrfStats[], order = CHRF_ORDER): ChrfStats {
  const acc = new Array<number>(order * 3).fill(0);
  for (const s of all) s.forEach((v, i) => (acc[i]! += v));
  return acc;
}

/** Corpus chrF: statistics summed over segments, then one F-score (not a mean of sentence scores). */
export function corpusChrf(hypotheses: readonly string[], references: ReadonlyArray<string | readonly string[]>): number {
  if (hypotheses.length !== references.length) throw new RangeError(`chrF: ${hypotheses.length} hypotheses but ${references.length} references`);
  return chrfFromStats(sumChrfStats(hypotheses.map((h, i) => chrfStats(h, references[i]!))));
}

export function sentenceChrf(hypothesis: string, references: string | readonly string[]): number {
  return chrfFromStats(chrfStats(hypothesis, references));
}
