import type { Endpoint } from '../config/load.js';
import type { Env } from '../config/env.js';
import { RestyleError, isRestyleError } from '../errors.js';
import { endpointFor } from './endpoints.js';

/** What verification needs from the LLM layer (an `LlmClient`). */
export interface ModelLister {
  listModels(): Promise<string[]>;
  getModel(id: string): Promise<unknown>;
}

/**
 * Throws `model_not_found` unless `model` is served at the endpoint. The listing first (every
 * OpenAI-compatible server has `GET /models`); then `GET /models/{id}`, because some servers list only part
 * of what they serve (OpenAI's checkpoints, aliases).
 */
export async function verifyModel(client: ModelLister, endpoint: Pick<Endpoint, 'baseUrl'>, model: string): Promise<void> {
  const listed = await client.listModels();
  if (listed.includes(model)) return;
  try {
    await client.getModel(model);
  } catch (error) {
    if (isRestyleError(error, 'model_not_found') || isRestyleError(error, 'not_found')) {
      const near = listed.filter((m) => m.includes(model) || model.includes(m)).slice(0, 3);
      throw new RestyleError('model_not_found', `model "${model}" is not served at ${endpoint.baseUrl}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`, {
        details: { model, baseUrl: endpoint.baseUrl },
      });
    }
    throw error;
  }
}

/** The registry's `VerifyModel` for an app: each entry checked at its own endpoint with its own key. */
export function verifierFor(
  settings: Parameters<typeof endpointFor>[0],
  llm: { get(endpoint: Endpoint): ModelLister },
  env?: Env,
): (entry: { model: string; baseUrl: string; apiKeyEnv: string }) => Promise<void> {
  return async (entry) => {
    const endpoint = endpointFor(settings, entry.baseUrl, entry.apiKeyEnv, env);
    await verifyModel(llm.get(endpoint), endpoint, entry.model);
  };
}
