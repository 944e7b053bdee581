/**
 * Pass/fail limits for `restyle eval`, so it can gate a deploy. Scores (chrF, BLEU) are 0–100, rates 0–1.
 * Precedence: these defaults < config `eval.thresholds` < config `eval.styles.<name>` < command-line flags.
 */
export interface Thresholds {
  /** chrF of the output against the reference (content and style as written by people). */
  minChrf?: number;
  minBleu?: number;
  /** chrF against the neutral input: how much of the content survived. */
  minChrfInput?: number;
  /** Share of outputs the style classifier puts on the target side. */
  minStyleAccuracy?: number;
  /** Share of blocks kept as written because the model broke a protected span. */
  maxFallbackRate?: number;
  /** Output length / reference length (characters, whole set). */
  minLengthRatio?: number;
  maxLengthRatio?: number;
  /** Share of examples the model failed on. */
  maxErrorRate?: number;
  /** With --against: fail when the candidate is worse than the baseline on chrF or style accuracy. */
  noWorse?: boolean;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  maxFallbackRate: 0.1,
  minLengthRatio: 0.5,
  maxLengthRatio: 2,
  maxErrorRate: 0.05,
};

export interface SystemMetrics {
  chrf: number;
  bleu: number;
  chrfInput: number;
  bleuInput: number;
  styleAccuracy: number;
  fallbackRate: number;
  lengthRatio: number;
  lengthRatioInput: number;
  errorRate: number;
}

export interface ThresholdResult {
  name: string;
  limit: string;
  value: number;
  pass: boolean;
}

const fmt = (n: number): string => (Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));

/** Each configured threshold checked against the candidate's metrics (and the baseline's for `noWorse`). */
export function checkThresholds(t: Thresholds, m: SystemMetrics, baseline?: SystemMetrics): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  const min = (name: string, limit: number | undefined, value: number): void => {
    if (limit !== undefined) out.push({ name, limit: `≥ ${fmt(limit)}`, value, pass: value >= limit });
  };
  const max = (name: string, limit: number | undefined, value: number): void => {
    if (limit !== undefined) out.push({ name, limit: `≤ ${fmt(limit)}`, value, pass: value <= limit });
  };
  min('chrF vs reference', t.minChrf, m.chrf);
  min('BLEU vs reference', t.minBleu, m.bleu);
  min('chrF vs input', t.minChrfInput, m.chrfInput);
  min('style accuracy', t.minStyleAccuracy, m.styleAccuracy);
  max('placeholder fallback rate', t.maxFallbackRate, m.fallbackRate);
  min('length ratio (output/reference)', t.minLengthRatio, m.lengthRatio);
  max('length ratio (output/reference)', t.maxLengthRatio, m.lengthRatio);
  max('error rate', t.maxErrorRate, m.errorRate);
  if (t.noWorse && baseline) {
    min('chrF vs baseline', baseline.chrf, m.chrf);
    min('style accuracy vs baseline', baseline.styleAccuracy, m.styleAccuracy);
  }
  return out;
}

/** Merge threshold layers; later layers win, undefined never overrides. */
export function mergeThresholds(...layers: Array<Partial<Thresholds> | undefined>): Thresholds {
  const out: Thresholds = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
