import type { ModelRegistry } from '../registry/registry.js';
import type { ModelEntry } from '../registry/types.js';
import { recommendCheckpoint } from './analysis.js';
import type { JobRecord } from './types.js';

/** The numbers worth keeping with a trained model. */
export function jobMetrics(job: JobRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const last = <K extends 'trainLoss' | 'validLoss' | 'fullValidLoss'>(key: K): number | undefined => job.metrics.findLast((p) => p[key] !== undefined)?.[key];
  const trainLoss = last('trainLoss');
  const validLoss = last('validLoss');
  const lastCheckpoint = job.checkpoints.at(-1);
  const fullValidLoss = lastCheckpoint?.fullValidLoss ?? last('fullValidLoss');
  if (trainLoss !== undefined) out.trainLoss = trainLoss;
  if (validLoss !== undefined) out.validLoss = validLoss;
  if (fullValidLoss !== undefined) out.fullValidLoss = fullValidLoss;
  const steps = job.metrics.at(-1)?.step;
  if (steps !== undefined) out.steps = steps;
  if (typeof job.trainedTokens === 'number') out.trainedTokens = job.trainedTokens;
  const best = recommendCheckpoint(job.checkpoints);
  if (best) {
    out.bestCheckpointStep = best.checkpoint.step;
    out.bestCheckpointLoss = best.loss;
  }
  return out;
}

/**
 * Put a succeeded job's model in the registry (checked at its endpoint first; a job already registered is
 * not added twice). Active at once only when the job was started with `--use`.
 */
export async function registerJob(job: JobRecord, registry: ModelRegistry): Promise<{ entry: ModelEntry; activated: boolean }> {
  if (job.status !== 'succeeded' || !job.fineTunedModel) throw new Error(`job ${job.id} has no model to register (status ${job.status})`);
  if (!job.style) throw new Error(`job ${job.id} has no style: watch it with --style NAME to register it`);
  const { entry, activated } = await registry.add(
    {
      style: job.style,
      role: job.role,
      model: job.fineTunedModel,
      baseModel: job.baseModel,
      baseUrl: job.baseUrl,
      apiKeyEnv: job.apiKeyEnv,
      promptHash: job.promptHash ?? '',
      promptHashFrom: 'training',
      ...(job.dataHash ? { dataHash: job.dataHash } : {}),
      metrics: jobMetrics(job),
      jobId: job.id,
      source: 'job',
    },
    { use: job.use },
  );
  return { entry, activated };
}
