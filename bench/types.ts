/** One figure a benchmark prints: a ratio against a baseline measured in the same run, or a number. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string; // '×' for ratios, 'ms', 'MB', 'req/s', 'count'
  /** The target, e.g. '≤1.03×'. */
  goal?: string;
  /** Whether the goal was met (undefined when there is no goal). */
  ok?: boolean;
  /** Extra context printed after the figure (the baseline, sample size…). */
  note?: string;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
