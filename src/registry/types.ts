/** Which of a style's two models an entry is: the styler (neutral → style) or the de-styler (style → neutral). */
export type ModelRole = 'styler' | 'destyler';

/** One registered model. Entries are never edited or removed: `use` and `rollback` only move the pointer. */
export interface ModelEntry {
  /** Per style and role, from 1; shown as `#3`. */
  id: number;
  style: string;
  role: ModelRole;
  model: string;
  baseModel?: string;
  /** The OpenAI-compatible endpoint serving `model`. */
  baseUrl: string;
  /** The environment variable holding that endpoint's key (never the key). */
  apiKeyEnv: string;
  /** `promptHash` of the prompt template the model was trained with. */
  promptHash: string;
  /** Where `promptHash` came from: the training job, the data's report.json, or assumed from the config. */
  promptHashFrom: 'training' | 'data' | 'config';
  /** sha256 (16 hex) of the training and validation files. */
  dataHash?: string;
  metrics?: Record<string, number>;
  /** The fine-tuning job that produced it. */
  jobId?: string;
  source: 'job' | 'manual';
  /** ISO date the entry was written. */
  createdAt: string;
}

/** What the store keeps per style and role (key `style:role` in namespace `models`). */
export interface RegistryRecord {
  style: string;
  role: ModelRole;
  entries: ModelEntry[];
  /** The entry in use; null: the config's `styles.X.model` (or `destyler`). */
  active: number | null;
  /** Earlier values of `active`, most recent last, for `rollback`. */
  history: Array<number | null>;
}

export type NewEntry = Omit<ModelEntry, 'id' | 'createdAt'>;
