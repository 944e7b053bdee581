import type { Style } from '../config/load.js';
import type { ModelRole } from '../registry/types.js';

export type { ModelRole } from '../registry/types.js';

/** OpenAI's job states (other providers map onto them). */
export type JobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** One point of the loss curves (from a metrics event). */
export interface MetricPoint {
  step: number;
  trainLoss?: number;
  validLoss?: number;
  /** Loss on the whole validation file: OpenAI reports it at the end of each epoch (with a checkpoint). */
  fullValidLoss?: number;
  trainAccuracy?: number;
  validAccuracy?: number;
}

export interface CheckpointInfo {
  id: string;
  step: number;
  /** The checkpoint's model id (usable for inference like the final model). */
  model: string;
  trainLoss?: number;
  validLoss?: number;
  fullValidLoss?: number;
}

/** A training data set on disk, checked and hashed. */
export interface DataSet {
  dir: string;
  role: ModelRole;
  train: string;
  valid?: string;
  /** The paths as the user should see them (relative to cwd). */
  shown: { train: string; valid?: string };
  examples: { train: number; valid: number };
  /** sha256 (16 hex) of the files' bytes: what the model was trained on. */
  dataHash: string;
  /** `promptHash` of the template the examples were rendered from. */
  promptHash: string;
  /** report.json's split mode, when the corpus builder wrote one. */
  split?: 'document' | 'block';
  warnings: string[];
}

/** What `restyle train` asks a provider for. */
export interface TrainRequest {
  style: Style;
  role: ModelRole;
  data: DataSet;
  baseModel?: string;
  epochs?: number;
  /** Name part of the fine-tuned model (OpenAI: up to 64 characters). */
  suffix: string;
  /** Activate the model in the registry when the job succeeds. */
  use?: boolean;
}

/** A fine-tuning job restyle started or adopted, as kept in the store (namespace `jobs`). */
export interface JobRecord {
  id: string;
  provider: string;
  /** Endpoint the job lives at (the key is looked up by `apiKeyEnv`, never stored). */
  baseUrl: string;
  apiKeyEnv: string;
  /** Null when adopted with `train watch JOB` without `--style`: then it is watched but not registered. */
  style: string | null;
  role: ModelRole;
  baseModel: string;
  dataDir: string | null;
  files: { train: string | null; valid: string | null };
  dataHash: string | null;
  promptHash: string | null;
  epochs?: number;
  status: JobStatus;
  fineTunedModel: string | null;
  trainedTokens?: number | null;
  estimatedFinish?: number | null;
  error?: { code: string; message: string; param?: string } | null;
  /** Newest event seen: watching resumes after it. */
  lastEventId: string | null;
  /** Messages of the events seen, oldest first (the last few are shown). */
  log: string[];
  totalSteps?: number;
  metrics: MetricPoint[];
  checkpoints: CheckpointInfo[];
  /** Registry entry id once registered. */
  registered: number | null;
  use: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a provider returns from `start`. */
export type TrainOutcome =
  | { kind: 'job'; job: JobRecord }
  | { kind: 'export'; dir: string; files: string[]; next: string[] };

/** The progress fields of a record for a job just created or adopted: nothing seen yet. */
export function freshProgress(now: string): Pick<JobRecord, 'error' | 'lastEventId' | 'log' | 'metrics' | 'checkpoints' | 'registered' | 'createdAt' | 'updatedAt'> {
  return { error: null, lastEventId: null, log: [], metrics: [], checkpoints: [], registered: null, createdAt: now, updatedAt: now };
}
