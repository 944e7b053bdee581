import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { LlmClient, type LlmClientOptions } from '../../src/llm/client.js';
import { createPostFetch } from '../../src/util/post-fetch.js';
import { RateLimiter } from '../../src/llm/limiter.js';
import type { ChatMessage } from '../../src/llm/types.js';
import { UsageMeter } from '../../src/llm/usage.js';
import { fakeUsage } from '../fakes/openai.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

// The corpus build's transport (src/util/post-fetch.ts) under the real openai SDK, against the fake provider:
// the same requests, answers and error mapping as the global fetch gives LlmClient (test/llm/client.test.ts).
const KEY = 'sk-test-key-json-fetch';
let fallbackCalls: string[];
const recordingFallback: typeof fetch = (input, init) => {
  fallbackCalls.push(String(input));
  return fetch(input, init);
};

const fake = useFakeOpenAI({ apiKey: KEY });
beforeEach(() => {
  fake.reset();
  fake.setResponder((body) => String(body.messages.at(-1).content).toUpperCase());
  fallbackCalls = [];
});

function client(over: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    endpoint: { baseUrl: fake.url, apiKey: KEY, apiKeyEnv: 'OPENAI_API_KEY' },
    timeoutMs: 2000,
    maxRetries: 2,
    limiter: new RateLimiter({ concurrency: 16, rpm: 0, tpm: 0 }),
    usage: new UsageMeter(),
    fetch: createPostFetch(recordingFallback),
    ...over,
  });
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'Please, rewrite the provided text in your style:' },
  { role: 'user', content: 'Your order shipped — 3 crates, «fragile».' },
];

async function rejection(p: Promise<unknown>): Promise<RestyleError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof RestyleError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('createPostFetch', () => {
  it('sends the same body as the global fetch, with a length and the key, and returns the answer and usage', async () => {
    const viaGlobal = await client({ fetch: undefined }).chat({ model: 'm', messages, temperature: 0 });
    const c = client();
    const r = await c.chat({ model: 'm', messages, temperature: 0 });
    expect(r).toEqual(viaGlobal);
    expect(r.text).toBe('YOUR ORDER SHIPPED — 3 CRATES, «FRAGILE».');
    const [global, ours] = fake.requests;
    expect(ours!.body).toEqual(global!.body);
    expect(ours!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(Number(ours!.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(ours!.body)));
    expect(ours!.headers['transfer-encoding']).toBeUndefined();
    const expected = fakeUsage(ours!.body, r.text);
    expect(r.usage).toEqual({ promptTokens: expected.prompt_tokens, completionTokens: expected.completion_tokens, totalTokens: expected.total_tokens });
    expect(fallbackCalls).toEqual([]);
  });

  it('keeps error statuses and headers: 429 with Retry-After is retried and reported as the global fetch does', async () => {
    fake.failNext(3, { status: 429, headers: { 'retry-after-ms': '20' } });
    const limited = await rejection(client({ maxRetries: 2 }).chat({ model: 'm', messages }));
    expect(limited).toMatchObject({ code: 'llm_rate_limited', details: { status: 429, attempts: 3, retryAfterMs: 20 } });
    fake.failNext(1, { status: 400, message: "Invalid value for 'temperature'" });
    const bad = await rejection(client().chat({ model: 'm', messages }));
    expect(bad.code).toBe('llm_bad_request');
    expect(bad.message).toContain("Invalid value for 'temperature'");
  });

  it('a hanging request times out (llm_timeout), a dropped one is llm_unavailable, an abort is deadline_exceeded', async () => {
    fake.hangNext(1);
    expect(await rejection(client({ timeoutMs: 200, maxRetries: 0 }).chat({ model: 'm', messages }))).toMatchObject({ code: 'llm_timeout', details: { attempts: 1 } });
    fake.dropNext(1);
    expect(await rejection(client({ maxRetries: 0 }).chat({ model: 'm', messages }))).toMatchObject({ code: 'llm_unavailable', retryable: true });
    fake.dropNext(1);
    expect((await client({ maxRetries: 1 }).chat({ model: 'm', messages })).attempts).toBe(2);
    fake.hangNext(1);
    const controller = new AbortController();
    const pending = client({ timeoutMs: 60_000 }).chat({ model: 'm', messages, signal: controller.signal });
    await vi.waitFor(() => expect(fake.requests.filter((q) => q.fault === 'hang')).toHaveLength(2), { interval: 5 });
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'deadline_exceeded' });
  });

  it('leaves streamed replies and GETs (a batch result file is read as a stream) to the fallback fetch', async () => {
    let text = '';
    for await (const d of client().chatStream({ model: 'm', messages })) text += d;
    expect(text).toBe('YOUR ORDER SHIPPED — 3 CRATES, «FRAGILE».');
    fake.models.add('ft:pirate');
    expect(await client().listModels()).toContain('ft:pirate');
    expect(fallbackCalls).toEqual([`${fake.url}/chat/completions`, `${fake.url}/models`]);
  });
});

describe('createPostFetch against a server that compresses anyway', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-request-id': 'req_1' });
      res.end(gzipSync(JSON.stringify({ ok: 'décodé' })));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  it('decodes a gzip body and keeps the headers', async () => {
    const r = await createPostFetch()(url, { method: 'POST', body: '{}' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('req_1');
    expect(await r.json()).toEqual({ ok: 'décodé' });
  });
});
