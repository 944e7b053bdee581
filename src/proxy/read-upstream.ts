import { RestyleError } from '../errors.js';

/** The 502 for an upstream body past `proxy.maxResponseBytes` (or, streamed, one event past it). */
export function upstreamTooLarge(baseUrl: string, limit: number, what = 'a body'): RestyleError {
  return new RestyleError('llm_error', `upstream ${baseUrl} sent ${what} larger than ${limit} bytes (proxy.maxResponseBytes); it was cut off and not relayed`, {
    details: { status: 502, limit },
  });
}

/**
 * An upstream body, read up to `limit` bytes. Past it the body is cancelled (the connection closes, so an
 * upstream that never stops sending costs nothing more) and a 502 naming the limit is thrown.
 */
export async function readUpstream(response: Response, limit: number, baseUrl: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw upstreamTooLarge(baseUrl, limit);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw upstreamTooLarge(baseUrl, limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** An upstream JSON body read with the same cap; null when it is not JSON. */
export async function readUpstreamJson(response: Response, limit: number, baseUrl: string): Promise<unknown> {
  const body = await readUpstream(response, limit, baseUrl);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
