import type { MetricPoint } from './types.js';

/** A fine-tuning event as the API returns it (the fields we read). */
export interface JobEvent {
  id: string;
  created_at: number;
  level: string;
  message: string;
  type?: string;
  data?: unknown;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The loss point a metrics event carries: OpenAI sends `type: "metrics"` with `data: {step, train_loss,
 * valid_loss, total_steps, …}`; servers that only write the message ("Step 12/100: training loss=0.52,
 * validation loss=0.61") are parsed from the text.
 */
export function metricFromEvent(event: JobEvent): { point: MetricPoint; totalSteps?: number } | null {
  const d = (event.data && typeof event.data === 'object' ? event.data : {}) as Record<string, unknown>;
  if (event.type === 'metrics' && num(d.step) !== undefined) {
    const point: MetricPoint = { step: num(d.step)! };
    const set = (key: keyof MetricPoint, v: unknown): void => {
      const n = num(v);
      if (n !== undefined) (point[key] as number) = n;
    };
    set('trainLoss', d.train_loss);
    set('validLoss', d.valid_loss);
    set('fullValidLoss', d.full_valid_loss);
    set('trainAccuracy', d.train_mean_token_accuracy);
    set('validAccuracy', d.valid_mean_token_accuracy);
    return { point, ...(num(d.total_steps) !== undefined ? { totalSteps: num(d.total_steps)! } : {}) };
  }
  const m = /^Step (\d+)(?:\/(\d+))?:\s*training loss=([\d.eE+-]+)(?:,\s*validation loss=([\d.eE+-]+))?(?:,\s*full validation loss=([\d.eE+-]+))?/.exec(event.message);
  if (!m) return null;
  const point: MetricPoint = { step: Number(m[1]), trainLoss: Number(m[3]) };
  if (m[4] !== undefined) point.validLoss = Number(m[4]);
  if (m[5] !== undefined) point.fullValidLoss = Number(m[5]);
  return { point, ...(m[2] !== undefined ? { totalSteps: Number(m[2]) } : {}) };
}

/** Add points, keeping one per step (a later report for the same step fills in what the earlier lacked). */
export function mergePoints(into: MetricPoint[], points: readonly MetricPoint[]): MetricPoint[] {
  const byStep = new Map(into.map((p) => [p.step, p]));
  for (const p of points) byStep.set(p.step, { ...byStep.get(p.step), ...p });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
