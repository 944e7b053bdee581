import type { Endpoint, Settings } from '../config/load.js';
import { cleanEnvValue, type Env } from '../config/env.js';

/** Every endpoint the settings know, so a registry entry can reuse a configured key by its variable name. */
export function knownEndpoints(settings: Pick<Settings, 'openai' | 'styles' | 'corpus'>): Endpoint[] {
  const out: Endpoint[] = [settings.openai, settings.corpus.endpoint];
  for (const s of Object.values(settings.styles)) out.push(s.endpoint, s.destylerEndpoint);
  return out;
}

/**
 * The endpoint for (baseUrl, apiKeyEnv): the key comes from a configured endpoint using the same variable,
 * else from `env` (the CLI's environment) when given. Keys are looked up, never stored in the registry.
 */
export function endpointFor(settings: Pick<Settings, 'openai' | 'styles' | 'corpus'>, baseUrl: string, apiKeyEnv: string, env?: Env): Endpoint {
  const known = knownEndpoints(settings).find((e) => e.apiKeyEnv === apiKeyEnv && e.apiKey);
  const fromEnv = env?.[apiKeyEnv] ? cleanEnvValue(env[apiKeyEnv]) : undefined;
  return { baseUrl: baseUrl.replace(/\/+$/, ''), apiKeyEnv, apiKey: known?.apiKey ?? (fromEnv || undefined) };
}

/** The variable to use for a base URL when none is given: the one a configured endpoint at that URL uses. */
export function apiKeyEnvFor(settings: Pick<Settings, 'openai' | 'styles' | 'corpus'>, baseUrl: string): string | undefined {
  const url = baseUrl.replace(/\/+$/, '');
  return knownEndpoints(settings).find((e) => e.baseUrl === url)?.apiKeyEnv;
}
