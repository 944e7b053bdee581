import type { RemoteJob } from './openai/provider.js';
import { freshProgress, type JobRecord, type ModelRole } from './types.js';

/** A record for a job restyle didn't start (or whose record is gone): style and role from the flags or the job's metadata. */
export function adoptJob(remote: RemoteJob, where: { baseUrl: string; apiKeyEnv: string; provider: string }, given: { style?: string; role?: ModelRole }): JobRecord {
  const meta = remote.metadata ?? {};
  const now = new Date().toISOString();
  const role: ModelRole = given.role ?? (meta.restyle_role === 'destyler' ? 'destyler' : 'styler');
  return {
    id: remote.id,
    provider: where.provider,
    baseUrl: where.baseUrl,
    apiKeyEnv: where.apiKeyEnv,
    style: given.style ?? meta.restyle_style ?? null,
    role,
    baseModel: remote.model,
    dataDir: null,
    files: { train: null, valid: null },
    dataHash: meta.restyle_data ?? null,
    promptHash: meta.restyle_prompt ?? null,
    status: remote.status,
    fineTunedModel: remote.fine_tuned_model,
    use: false,
    ...freshProgress(now),
  };
}
