/**
 * BLEU-4 as sacreBLEU 2.x computes it by default (Papineni et al. 2002, "BLEU: a Method for Automatic
 * Evaluation of Machine Translation"; Post 2018 for the reporting conventions): 13a tokenization, clipped
 * n-gram precisions for n = 1…4 summed over the corpus, `exp` smoothing (NIST, Chen & Cherry 2014 method 3)
 * for orders with no match, the geometric mean, and the brevity penalty exp(1 − r/c) when the output is
 * shorter than the reference (the closest reference length per segment, the shorter one on a tie).
 * Scores are 0–100. A hypothesis with no matching n-gram at all scores 0 under every smoothing, as in
 * sacreBLEU (its issue #141). test/eval/metrics.test.ts checks this against the expected values in
 * sacreBLEU's own test files (test/test_bleu.py, test/test_sentence_bleu.py), named beside each.
 */
import { splitWhitespace, tokenize13a } from './tokenize-13a.js';

export const BLEU_MAX_ORDER = 4;

/** The sufficient statistics of one segment (add them up for a corpus). */
export interface BleuStats {
  correct: number[];
  total: number[];
  hypLen: number;
  refLen: number;
}

export interface BleuScore {
  score: number;
  /** Smoothed precisions per order, 0–100. */
  precisions: number[];
  bp: number;
  hypLen: number;
  refLen: number;
}

function ngrams(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // \u0001 cannot occur inside a whitespace-split token sequence joined by it, so keys don't collide.
      const key = `${n}\u0001${tokens.slice(i, i + n).join('\u0001')}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Statistics of one hypothesis against one or more references (max counts, closest length). */
export function bleuStats(hypothesis: string, references: readonly string[], maxOrder = BLEU_MAX_ORDER): BleuStats {
  const refs = references.filter((r) => r !== '');
  if (refs.length === 0) throw new RangeError('BLEU needs at least one non-empty reference');
  const hyp = splitWhitespace(tokenize13a(hypothesis.trimEnd()));
  const hypLen = hyp.length;
  const refMax = new Map<string, number>();
  let closestDiff = Infinity;
  let refLen = 0;
  for (const ref of refs) {
    const tokens = splitWhitespace(tokenize13a(ref.trimEnd()));
    const diff = Math.abs(hypLen - tokens.length);
    if (diff < closestDiff || (diff === closestDiff && tokens.length < refLen)) {
      closestDiff = diff;
      refLen = tokens.length;
    }
    for (const [k, c] of ngrams(tokens, maxOrder)) refMax.set(k, Math.max(refMax.get(k) ?? 0, c));
  }
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [k, c] of ngrams(hyp, maxOrder)) {
    const n = Number(k.slice(0, k.indexOf('\u0001')));
    correct[n - 1]! += Math.min(c, refMax.get(k) ?? 0);
    total[n - 1]! += c;
  }
  return { correct, total, hypLen, refLen };
}

export function sumBleuStats(all: readonly BleuStats[], maxOrder = BLEU_MAX_ORDER): BleuStats {
  const acc: BleuStats = { correct: new Array<number>(maxOrder).fill(0), total: new Array<number>(maxOrder).fill(0), hypLen: 0, refLen: 0 };
  for (const s of all) {
    acc.hypLen += s.hypLen;
    acc.refLen += s.refLen;
    for (let n = 0; n < maxOrder; n++) {
      acc.correct[n]! += s.correct[n] ?? 0;
      acc.total[n]! += s.total[n] ?? 0;
    }
  }
  return acc;
}

/** sacreBLEU's smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (method 2), exp (method 3). */
export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';
const SMOOTH_DEFAULTS: Record<BleuSmoothing, number> = { none: 0, floor: 0.1, 'add-k': 1, exp: 0 };

export interface BleuOptions {
  /** Average only over the orders the hypothesis has n-grams for (sentence level), so a short one is not zeroed. */
  effectiveOrder?: boolean;
  /** Default `exp`, as sacreBLEU's BLEU metric. */
  smooth?: BleuSmoothing;
  /** For floor (default 0.1) and add-k (default 1). */
  smoothValue?: number;
}

/** The score from statistics, as sacreBLEU's `BLEU.compute_bleu`. */
export function bleuFromStats(stats: BleuStats, options: BleuOptions = {}): BleuScore {
  const maxOrder = stats.correct.length;
  const method = options.smooth ?? 'exp';
  const k = options.smoothValue ?? SMOOTH_DEFAULTS[method];
  const precisions = new Array<number>(maxOrder).fill(0);
  const bp = stats.hypLen < stats.refLen ? (stats.hypLen > 0 ? Math.exp(1 - stats.refLen / stats.hypLen) : 0) : 1;
  // Nothing matched at all: 0, whatever the smoothing would make of the empty orders.
  if (!stats.correct.some((c) => c > 0)) return { score: 0, precisions, bp, hypLen: stats.hypLen, refLen: stats.refLen };
  let smooth = 1;
  let order = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    const addK = method === 'add-k' && n > 1 ? k : 0;
    const total = stats.total[n - 1]! + addK;
    const correct = stats.correct[n - 1]! + addK;
    if (total === 0) break;
    if (options.effectiveOrder) order = n;
    if (correct === 0) {
      if (method === 'exp') {
        smooth *= 2;
        precisions[n - 1] = 100 / (smooth * total);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * k) / total;
      }
    } else {
      precisions[n - 1] = (100 * correct) / total;
    }
  }
  // sacreBLEU's my_log: log(0) is a huge negative number, so a missing order gives a score of ~0.
  const logSum = precisions.slice(0, order).reduce((s, p) => s + (p === 0 ? -9999999999 : Math.log(p)), 0);
  return { score: bp * Math.exp(logSum / order), precisions, bp, hypLen: stats.hypLen, refLen: stats.refLen };
}

/** Corpus BLEU: hypotheses[i] against references[i] (one string, or several). */
export function corpusBleu(hypotheses: readonly string[], references: ReadonlyArray<string | readonly string[]>, options: BleuOptions = {}): BleuScore {
  if (hypotheses.length !== references.length) throw new RangeError(`BLEU: ${hypotheses.length} hypotheses but ${references.length} references`);
  return bleuFromStats(sumBleuStats(hypotheses.map((h, i) => bleuStats(h, toList(references[i]!)))), options);
}

/** Sentence BLEU with effective order, like `sacrebleu.sentence_bleu`. */
export function sentenceBleu(hypothesis: string, references: string | readonly string[], options: Omit<BleuOptions, 'effectiveOrder'> = {}): BleuScore {
  return bleuFromStats(bleuStats(hypothesis, toList(references)), { ...options, effectiveOrder: true });
}

function toList(r: string | readonly string[]): readonly string[] {
  return typeof r === 'string' ? [r] : r;
}
