import type { CheckpointInfo, MetricPoint } from './types.js';

/** A validation loss at or below this, on a rewriting task, almost always means train and valid share text. */
export const LEAKAGE_LOSS = 0.01;

export interface Recommendation {
  checkpoint: CheckpointInfo;
  /** The loss it was chosen on. */
  loss: number;
  by: 'full validation loss' | 'validation loss';
}

export interface Finding {
  kind: 'overfitting' | 'leakage';
  message: string;
}

/** The checkpoint with the lowest full validation loss (else the lowest sampled validation loss). */
export function recommendCheckpoint(checkpoints: readonly CheckpointInfo[]): Recommendation | null {
  const full = checkpoints.filter((c) => c.fullValidLoss !== undefined);
  const pool = full.length > 0 ? full : checkpoints.filter((c) => c.validLoss !== undefined);
  if (pool.length === 0) return null;
  const key = (c: CheckpointInfo): number => (full.length > 0 ? c.fullValidLoss! : c.validLoss!);
  const best = pool.reduce((a, b) => (key(b) < key(a) ? b : a));
  return { checkpoint: best, loss: key(best), by: full.length > 0 ? 'full validation loss' : 'validation loss' };
}

/** Centered moving average, so a single noisy batch doesn't read as a trend. */
function smooth(values: ReadonlyArray<{ step: number; v: number }>, window: number): Array<{ step: number; v: number }> {
  const half = Math.floor(window / 2);
  return values.map((p, i) => {
    const slice = values.slice(Math.max(0, i - half), i + half + 1);
    return { step: p.step, v: slice.reduce((s, x) => s + x.v, 0) / slice.length };
  });
}

const fmt = (n: number): string => (n < 0.01 ? n.toPrecision(2) : n.toFixed(3));

/**
 * What the curves say that the user should act on:
 * - overfitting: validation loss (full validation loss per checkpoint when there are enough, else the
 *   smoothed sampled one) rose clearly from its lowest point while training loss kept falling;
 * - leakage: validation loss implausibly low (≤ 0.01) — train and valid share text.
 */
export function analyseCurves(points: readonly MetricPoint[], checkpoints: readonly CheckpointInfo[], options: { checkCommand?: string } = {}): Finding[] {
  const findings: Finding[] = [];
  const check = options.checkCommand ?? 'restyle train check --data DIR';

  const full = [...checkpoints].filter((c) => c.fullValidLoss !== undefined).sort((a, b) => a.step - b.step);
  const fullPoints = points.filter((p) => p.fullValidLoss !== undefined).map((p) => ({ step: p.step, v: p.fullValidLoss! }));
  const validSeries =
    full.length >= 2
      ? full.map((c) => ({ step: c.step, v: c.fullValidLoss! }))
      : fullPoints.length >= 2
        ? fullPoints
        : smooth(points.filter((p) => p.validLoss !== undefined).map((p) => ({ step: p.step, v: p.validLoss! })), 5);
  const trainSeries = smooth(points.filter((p) => p.trainLoss !== undefined).map((p) => ({ step: p.step, v: p.trainLoss! })), 5);
  const trainAt = (step: number): number | undefined => {
    let best: { step: number; v: number } | undefined;
    for (const p of trainSeries) if (p.step <= step) best = p;
    return best?.v ?? trainSeries[0]?.v;
  };

  if (validSeries.length >= 2 && trainSeries.length >= 2) {
    const min = validSeries.reduce((a, b) => (b.v < a.v ? b : a));
    const last = validSeries.at(-1)!;
    const trainMin = trainAt(min.step);
    const trainLast = trainAt(last.step);
    if (last.step > min.step && last.v > min.v * 1.1 && last.v - min.v > 0.01 && trainMin !== undefined && trainLast !== undefined && trainLast < trainMin * 0.95) {
      findings.push({
        kind: 'overfitting',
        message: `overfitting: validation loss rose from ${fmt(min.v)} at step ${min.step} to ${fmt(last.v)} at step ${last.step} while training loss fell from ${fmt(trainMin)} to ${fmt(trainLast)} — use the checkpoint nearest step ${min.step}, or train fewer epochs (--epochs)`,
      });
    }
  }

  const lows = [...full.map((c) => c.fullValidLoss!), ...points.flatMap((p) => [p.fullValidLoss, p.validLoss]).filter((v): v is number => v !== undefined)];
  const lowest = lows.length ? Math.min(...lows) : undefined;
  // One lucky batch can be tiny; the full validation loss, or most of the last sampled ones, must be.
  const tail = points.filter((p) => p.validLoss !== undefined).slice(-5).map((p) => p.validLoss!);
  const fullLow = full.length > 0 && Math.min(...full.map((c) => c.fullValidLoss!)) <= LEAKAGE_LOSS;
  const tailLow = tail.length >= 3 && tail.filter((v) => v <= LEAKAGE_LOSS).length >= Math.ceil(tail.length / 2);
  if (lowest !== undefined && (fullLow || tailLow)) {
    findings.push({
      kind: 'leakage',
      message: `validation loss ${fmt(lowest)} is implausibly low for rewriting text: train and valid probably share text (the same or overlapping blocks). Run ${check} and rebuild the corpus split by source document`,
    });
  }
  return findings;
}
