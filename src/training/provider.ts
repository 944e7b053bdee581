import { RestyleError } from '../errors.js';
import type { TrainOutcome, TrainRequest } from './types.js';

/**
 * A way to train a style's model. `openai` runs a fine-tuning job through the API; `export` writes the data
 * in the formats open-source trainers read, for training anywhere and serving behind an OpenAI-compatible
 * endpoint. Another provider (a hosted fine-tuning API) is one more implementation and one more name in
 * `PROVIDER_NAMES`.
 */
export interface TrainingProvider {
  readonly name: string;
  readonly description: string;
  start(request: TrainRequest): Promise<TrainOutcome>;
}

export const PROVIDER_NAMES = ['openai', 'export'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The provider name, or a usage error listing the known ones. */
export function providerName(value: string): ProviderName {
  if ((PROVIDER_NAMES as readonly string[]).includes(value)) return value as ProviderName;
  throw new RestyleError('usage', `--provider ${value}: unknown training provider; known: ${PROVIDER_NAMES.join(', ')}`, { details: { provider: value } });
}
