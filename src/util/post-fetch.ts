import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` for SDKs that make plain calls — a POST of a string body whose answer is not streamed: the
 * openai SDK's JSON (its `fetch` option), the Slack Web API's form posts (`WebClientOptions.fetch`) — over
 * node:http(s) keep-alive agents, handing back the whole answer as a Response. Everything else goes to
 * `fallback`, the global fetch: streamed replies, uploads, a `Request` object, and GETs (a batch's result
 * file is read line by line from its body, never held whole). Not for a caller that reads an answer as it
 * arrives without asking for a stream in the body (a webhook answer source): it would wait for all of it.
 *
 * Why: the global fetch (undici behind WHATWG streams, a Request object, a transferable AbortSignal) costs
 * more CPU per call than the rest of a corpus build's request together. `npm run bench -- corpus` runs the
 * bare SDK loop on both (2026-12-06, shared 2-core box): 723 µs of CPU a request on the global fetch, 402 µs
 * on this. The SDK still builds the request, times it out (its signal is honoured), parses and maps errors.
 */
export function createPostFetch(fallback: typeof fetch = globalThis.fetch): typeof fetch {
  const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
  return (input, init) => {
    const body = init?.body;
    // JSON.stringify escapes every quote inside a string, so `"stream":true` only matches the field itself.
    const plain = init?.method?.toUpperCase() === 'POST' && typeof body === 'string' && !body.includes('"stream":true');
    const url = !plain ? undefined : typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fallback(input, init);
    const payload = Buffer.from(body as string, 'utf8');
    const headers = headersOf(init?.headers);
    headers['content-length'] = payload.length;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, agent: agents[url.protocol as 'http:' | 'https:'], ...(init?.signal ? { signal: init.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve(toResponse(res, Buffer.concat(chunks)));
          } catch (error) {
            reject(error);
          }
        });
        // A connection cut mid-answer ends the stream without 'end': a partial body must not pass for a whole one.
        res.on('close', () => {
          if (!res.complete) reject(new Error('connection closed before the response was complete'));
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  };
}

function headersOf(h: HeadersInit | undefined): OutgoingHttpHeaders {
  if (!h) return {};
  if (h instanceof Headers || Array.isArray(h)) return Object.fromEntries(h);
  return { ...h };
}

function toResponse(res: IncomingMessage, raw: Buffer): Response {
  const status = res.statusCode ?? 502;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
  const body = NULL_BODY.has(status) ? null : decoded(raw, res.headers['content-encoding']);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers: pairs });
}

/** We ask for no compression; a server that compresses anyway is decoded as fetch would. */
function decoded(raw: Buffer, encoding: string | undefined): Uint8Array<ArrayBuffer> {
  const bytes = inflated(raw, encoding?.trim().toLowerCase());
  // A Buffer's memory is an ArrayBuffer (never shared) however TypeScript types it.
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

function inflated(raw: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  if (encoding === 'br') return brotliDecompressSync(raw);
  return raw;
}
