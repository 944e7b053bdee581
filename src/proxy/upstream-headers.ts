/**
 * The upstream response headers a caller's SDK acts on, relayed on every proxied answer (errors included):
 * `retry-after`/`retry-after-ms` and `x-should-retry` drive its retries, `x-ratelimit-*` its pacing, and
 * `openai-processing-ms`/`openai-version` are harmless diagnostics. The upstream's `x-request-id` comes back
 * as `x-upstream-request-id`: `x-request-id` stays restyle's own (the caller's, if sent), the id in our logs.
 * Never relayed: anything naming the operator's account (`openai-organization`, `openai-project`), cookies.
 */
export function upstreamHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (RELAYED.has(name) || name.startsWith('x-ratelimit-')) out[name] = value;
  }
  const id = headers.get('x-request-id');
  if (id) out['x-upstream-request-id'] = id;
  return out;
}

const RELAYED = new Set(['retry-after', 'retry-after-ms', 'x-should-retry', 'openai-processing-ms', 'openai-version']);
