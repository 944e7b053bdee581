import type { JobRecord } from './types.js';

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const loss = (n: number | undefined): string => (n === undefined ? '–' : n < 0.01 ? n.toPrecision(2) : n.toFixed(3));

/** One progress line: `ftjob-1 · running · step 40/120 (33%) · train 0.812 · valid 0.901 · 2m10s · ~4m left`. */
export function progressLine(job: JobRecord, now = Date.now()): string {
  const parts = [job.id, job.status.replace('_', ' ')];
  const last = job.metrics.at(-1);
  if (last) {
    const total = job.totalSteps;
    parts.push(total ? `step ${last.step}/${total} (${Math.floor((100 * last.step) / total)}%)` : `step ${last.step}`);
    parts.push(`train ${loss(job.metrics.findLast((p) => p.trainLoss !== undefined)?.trainLoss)}`);
    const valid = job.metrics.findLast((p) => p.validLoss !== undefined)?.validLoss;
    if (valid !== undefined) parts.push(`valid ${loss(valid)}`);
  }
  parts.push(duration(now - Date.parse(job.createdAt)));
  if (job.estimatedFinish && job.status === 'running') parts.push(`~${duration(job.estimatedFinish * 1000 - now)} left`);
  if (job.fineTunedModel) parts.push(job.fineTunedModel);
  return parts.join(' · ');
}
