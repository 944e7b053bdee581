import { RestyleError } from '../errors.js';

/** The objects restyle reads back from OpenAI's Files, Batch and fine-tuning APIs. */
export type ApiObject = 'file' | 'batch' | 'fine_tuning.job';

const API_OF: Record<ApiObject, string> = { file: 'Files', batch: 'Batch', 'fine_tuning.job': 'fine-tuning' };

/**
 * A compatible server's answer must be the object OpenAI answers there: a server that answers every route
 * with 200 (a chat-only proxy) must never read as an uploaded file, a submitted batch or a started job.
 */
export function expectApiObject<T>(value: T, object: ApiObject, route: string, baseUrl: string): T {
  const v = value as { id?: unknown; object?: unknown; status?: unknown } | null;
  const ok = typeof v === 'object' && v !== null && typeof v.id === 'string' && v.id !== '' && (v.object === undefined || v.object === object) && (object === 'file' || typeof v.status === 'string');
  if (ok) return value;
  const got = typeof v?.object === 'string' ? `a "${v.object.slice(0, 40)}" object` : 'something else';
  throw new RestyleError('llm_error', `${baseUrl}: ${route} answered ${got}, not a ${object}: does it serve OpenAI's ${API_OF[object]} API?`, {
    details: { baseUrl, route },
  });
}
