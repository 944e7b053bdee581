import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Endpoint } from '../../src/config/load.js';
import { RestyleError } from '../../src/errors.js';
import { LlmClient, type LlmClientOptions } from '../../src/llm/client.js';
import { RateLimiter } from '../../src/llm/limiter.js';
import type { ChatMessage } from '../../src/llm/types.js';
import { UsageMeter } from '../../src/llm/usage.js';
import { fakeUsage, startFakeOpenAI } from '../fakes/openai.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const KEY = 'sk-test-key-4f9a2c';

const fake = useFakeOpenAI({ apiKey: KEY });
beforeEach(() => {
  fake.reset();
  fake.setResponder((body) => String(body.messages.at(-1).content).toUpperCase());
});

const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({ baseUrl: fake.url, apiKey: KEY, apiKeyEnv: 'OPENAI_API_KEY', ...over });

function client(over: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    endpoint: endpoint(),
    timeoutMs: 2000,
    maxRetries: 2,
    limiter: new RateLimiter({ concurrency: 16, rpm: 0, tpm: 0 }),
    usage: new UsageMeter(),
    ...over,
  });
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'Please, rewrite the provided text in your style:' },
  { role: 'user', content: 'Your order shipped.' },
];

const rejection = async (p: Promise<unknown>): Promise<RestyleError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RestyleError);
  return e as RestyleError;
};

describe('LlmClient.chat', () => {
  it('returns the styled text, usage and attempts, and records usage per model', async () => {
    const c = client();
    const r = await c.chat({ model: 'ft:loud', messages, temperature: 0.3, maxTokens: 50 });
    expect(r).toEqual({
      text: 'YOUR ORDER SHIPPED.',
      model: 'ft:loud',
      finishReason: 'stop',
      attempts: 1,
      usage: {
        promptTokens: fakeUsage({ messages }, '').prompt_tokens,
        completionTokens: 5,
        totalTokens: fakeUsage({ messages }, 'YOUR ORDER SHIPPED.').total_tokens,
      },
    });
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.body).toMatchObject({ model: 'ft:loud', messages, temperature: 0.3, max_tokens: 50 });
    expect(req!.body.stream).toBeFalsy();
    expect(req!.body.response_format).toBeUndefined();
    await c.chat({ model: 'ft:loud', messages });
    expect(c.usage.snapshot().byModel['ft:loud']).toEqual({
      promptTokens: 2 * r.usage.promptTokens,
      completionTokens: 2 * r.usage.completionTokens,
      totalTokens: 2 * r.usage.totalTokens,
      requests: 2,
    });
  });

  it('a reply whose message content is not text (or that has no choices) is llm_error saying so, not a tokenizer error', async () => {
    const odd = await startFakeOpenAI();
    let reply: unknown = { id: 'c', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: { evil: true } }, finish_reason: 'stop' }] };
    odd.route('POST', /^\/v1\/chat\/completions$/, () => reply);
    try {
      const c = client({ endpoint: { baseUrl: odd.url, apiKey: KEY, apiKeyEnv: 'OPENAI_API_KEY' }, maxRetries: 0 });
      const e = await rejection(c.chat({ model: 'ft:loud', messages }));
      expect(e).toMatchObject({ code: 'llm_error', message: `${odd.url}: model "ft:loud" returned a message whose content is not text` });
      reply = { id: 'c', object: 'chat.completion', model: 'm', choices: [] };
      expect(await rejection(c.chat({ model: 'ft:loud', messages }))).toMatchObject({ code: 'llm_error', message: `${odd.url}: model "ft:loud" returned no choices` });
    } finally {
      await odd.close();
    }
  });

  it('sends jsonSchema as a strict json_schema response_format', async () => {
    const schema = { type: 'object', properties: { tone: { type: 'string' } }, required: ['tone'], additionalProperties: false };
    fake.setResponder(() => '{"tone":"wry"}');
    const r = await client().chat({ model: 'gpt-4.1-mini', messages, jsonSchema: { name: 'style_params', schema } });
    expect(JSON.parse(r.text)).toEqual({ tone: 'wry' });
    expect(fake.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'style_params', schema, strict: true } });
  });

  it('429 with retry-after: 1 is retried no sooner than a second later, and pauses other callers of the limiter', async () => {
    const limiter = new RateLimiter({ concurrency: 16, rpm: 0, tpm: 0 });
    const a = client({ limiter });
    const b = client({ limiter });
    fake.failNext(1, { status: 429, headers: { 'retry-after': '1' } });
    const first = a.chat({ model: 'm', messages: [{ role: 'user', content: 'first' }] });
    await vi.waitFor(() => expect(limiter.stats.pausedForMs).toBeGreaterThan(0), { interval: 5 });
    const other = b.chat({ model: 'm', messages: [{ role: 'user', content: 'other' }] });
    const [ra, rb] = await Promise.all([first, other]);
    expect(ra).toMatchObject({ text: 'FIRST', attempts: 2 });
    expect(rb).toMatchObject({ text: 'OTHER', attempts: 1 });
    const [limited, ...rest] = fake.requestsTo('/chat/completions');
    expect(limited!.fault).toBe('fail');
    expect(rest).toHaveLength(2);
    for (const r of rest) expect(r.at - limited!.at).toBeGreaterThanOrEqual(990);
  });

  it('500 then success: retried, attempts reported', async () => {
    fake.failNext(1, { status: 500 });
    const r = await client().chat({ model: 'm', messages });
    expect(r.attempts).toBe(2);
    expect(fake.requests.map((q) => q.fault)).toEqual(['fail', undefined]);
  });

  it('a hanging request is cut off as llm_timeout after timeoutMs', async () => {
    fake.hangNext(1);
    const t0 = performance.now();
    // The fake never answers: any answer at all is the cut-off (no upper time limit: a busy machine is slow).
    const e = await rejection(client({ timeoutMs: 200, maxRetries: 0 }).chat({ model: 'm', messages }));
    const ms = performance.now() - t0;
    expect(e).toMatchObject({ code: 'llm_timeout', retryable: true, details: { timeoutMs: 200, attempts: 1, model: 'm' } });
    expect(ms).toBeGreaterThanOrEqual(190);
  });

  it("the request's timeoutMs overrides the client's, and a timeout is retried", async () => {
    fake.hangNext(1);
    const r = await client({ timeoutMs: 10_000, maxRetries: 1 }).chat({ model: 'm', messages, timeoutMs: 150 });
    expect(r.attempts).toBe(2);
    expect(fake.requests.map((q) => q.fault)).toEqual(['hang', undefined]);
  });

  it('a dropped connection is retried; without retries it is llm_unavailable', async () => {
    fake.dropNext(1);
    expect((await client({ maxRetries: 1 }).chat({ model: 'm', messages })).attempts).toBe(2);
    fake.dropNext(1);
    const e = await rejection(client({ maxRetries: 0 }).chat({ model: 'm', messages }));
    expect(e).toMatchObject({ code: 'llm_unavailable', retryable: true, details: { attempts: 1 } });
  });

  it('retries exhausted: the last error, with status, attempts and Retry-After in details', async () => {
    fake.failNext(3, { status: 429, headers: { 'retry-after-ms': '20' } });
    const limited = await rejection(client({ maxRetries: 2 }).chat({ model: 'm', messages }));
    expect(limited).toMatchObject({ code: 'llm_rate_limited', details: { status: 429, attempts: 3, retryAfterMs: 20 } });
    expect(fake.requests).toHaveLength(3);
    fake.failNext(2, { status: 503 });
    const down = await rejection(client({ maxRetries: 1 }).chat({ model: 'm', messages }));
    expect(down).toMatchObject({ code: 'llm_unavailable', details: { status: 503, attempts: 2 } });
  });

  it('does not retry what cannot succeed: quota, a Retry-After over a minute, 400', async () => {
    fake.failNext(1, { status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' });
    expect(await rejection(client().chat({ model: 'm', messages }))).toMatchObject({ code: 'quota_exceeded', retryable: false });
    fake.failNext(1, { status: 429, headers: { 'retry-after': '120' } });
    expect(await rejection(client().chat({ model: 'm', messages }))).toMatchObject({ code: 'llm_rate_limited', details: { retryAfterMs: 120_000, attempts: 1 } });
    fake.failNext(1, { status: 400, message: "Invalid value for 'temperature'" });
    const bad = await rejection(client().chat({ model: 'm', messages }));
    expect(bad.code).toBe('llm_bad_request');
    expect(bad.message).toContain("Invalid value for 'temperature'");
    expect(fake.requests).toHaveLength(3);
  });

  it('403: training_not_available and llm_forbidden', async () => {
    fake.failNext(1, { status: 403, code: 'training_not_available', message: 'Fine-tuning is not available for your organization' });
    expect(await rejection(client().chat({ model: 'm', messages }))).toMatchObject({ code: 'training_not_available' });
    fake.failNext(1, { status: 403 });
    expect(await rejection(client().chat({ model: 'm', messages }))).toMatchObject({ code: 'llm_forbidden' });
  });

  it('an unknown model is model_not_found naming the model and the endpoint', async () => {
    fake.setStrictModels(true);
    const e = await rejection(client().chat({ model: 'ft:gpt-4.1-mini:acme:ghost:x1', messages }));
    expect(e.code).toBe('model_not_found');
    expect(e.message).toContain('"ft:gpt-4.1-mini:acme:ghost:x1"');
    expect(e.message).toContain(fake.url);
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused key is llm_auth naming the variable, never the key', async () => {
    const wrong = 'sk-wrong-key-7d1e0b';
    const c = client({ endpoint: endpoint({ apiKey: wrong, apiKeyEnv: 'PIRATE_API_KEY' }) });
    const e = await rejection(c.chat({ model: 'm', messages }));
    expect(e.code).toBe('llm_auth');
    expect(e.message).toContain('PIRATE_API_KEY');
    expect(e.message).toContain(fake.url);
    expect(fake.requests).toHaveLength(1);
    // The fake echoes the refused key in its 401 body, like some servers do; none of it may get through.
    const raw = await fetch(`${fake.url}/models`, { headers: { authorization: `Bearer ${wrong}` } });
    expect(await raw.text()).toContain(wrong);
    for (const text of [e.message, JSON.stringify(e.toJSON()), String(e.stack)]) expect(text).not.toContain(wrong);
    expect(e.cause).toBeUndefined();
  });

  it('no key: constructing works, the first call fails with env_missing naming the variable', async () => {
    const c = client({ endpoint: endpoint({ apiKey: undefined, apiKeyEnv: 'PIRATE_API_KEY' }) });
    const e = await rejection(c.chat({ model: 'm', messages }));
    expect(e.code).toBe('env_missing');
    expect(e.message).toContain('PIRATE_API_KEY');
    expect(fake.requests).toHaveLength(0);
  });

  it('abort during a request rejects at once with deadline_exceeded', async () => {
    fake.hangNext(1);
    const controller = new AbortController();
    // Past the test's own timeout: only the abort can end this request.
    const pending = client({ timeoutMs: 60_000 }).chat({ model: 'm', messages, signal: controller.signal });
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { interval: 5 });
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'deadline_exceeded' });
    expect(fake.requests).toHaveLength(1);
  });

  it('abort during a Retry-After wait rejects at once, without another request', async () => {
    const limiter = new RateLimiter({ concurrency: 16, rpm: 0, tpm: 0 });
    fake.failNext(1, { status: 429, headers: { 'retry-after': '30' } });
    const controller = new AbortController();
    const pending = client({ limiter }).chat({ model: 'm', messages, signal: controller.signal });
    await vi.waitFor(() => expect(limiter.stats.pausedForMs).toBeGreaterThan(0), { interval: 5 });
    // The Retry-After (30 s) outlasts the test's timeout: only the abort can end this wait.
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'deadline_exceeded' });
    expect(fake.requests).toHaveLength(1);
  });

  it('abort while queued behind the concurrency limit rejects at once', async () => {
    const limiter = new RateLimiter({ concurrency: 1, rpm: 0, tpm: 0 });
    fake.hangNext(1);
    const hung = client({ limiter, timeoutMs: 500, maxRetries: 0 }).chat({ model: 'm', messages });
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { interval: 5 });
    const controller = new AbortController();
    const queued = client({ limiter }).chat({ model: 'm', messages, signal: controller.signal });
    expect(limiter.stats).toMatchObject({ inFlight: 1, queued: 1 });
    controller.abort();
    expect(await rejection(queued)).toMatchObject({ code: 'deadline_exceeded' });
    expect(limiter.stats.queued).toBe(0);
    expect(await rejection(hung)).toMatchObject({ code: 'llm_timeout' });
    expect(fake.requests).toHaveLength(1);
  });

  it('the shared limiter bounds requests in flight at the server', async () => {
    let now = 0;
    let most = 0;
    fake.setResponder(async (body) => {
      most = Math.max(most, ++now);
      // The model "thinks" until a few more requests could have piled up.
      await new Promise((resolve) => setTimeout(resolve, 30));
      now--;
      return String(body.messages[0].content);
    });
    const limiter = new RateLimiter({ concurrency: 2, rpm: 0, tpm: 0 });
    const c = client({ limiter });
    const texts = await Promise.all(Array.from({ length: 8 }, (_, i) => c.chat({ model: 'm', messages: [{ role: 'user', content: `n${i}` }] })));
    expect(texts.map((t) => t.text)).toEqual(Array.from({ length: 8 }, (_, i) => `n${i}`));
    expect(most).toBe(2);
  });
});

describe('LlmClient.chatStream', () => {
  it('yields text deltas and records the usage from the final chunk', async () => {
    const c = client();
    const deltas: string[] = [];
    for await (const d of c.chatStream({ model: 'ft:loud', messages: [{ role: 'user', content: 'stream me in pieces' }] })) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('STREAM ME IN PIECES');
    const body = fake.requests[0]!.body;
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const expected = fakeUsage(body, 'STREAM ME IN PIECES');
    expect(c.usage.snapshot().byModel['ft:loud']).toEqual({
      promptTokens: expected.prompt_tokens,
      completionTokens: expected.completion_tokens,
      totalTokens: expected.total_tokens,
      requests: 1,
    });
    expect(c.limiter.stats.inFlight).toBe(0);
  });

  it('a streamed delta whose content is not text ends the stream with llm_error saying so', async () => {
    const odd = await startFakeOpenAI();
    odd.route('POST', /^\/v1\/chat\/completions$/, (ctx) => {
      ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (content: unknown) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content } }] })}\n\n`;
      ctx.res.end(`${chunk('Aye, ')}${chunk({ evil: true })}data: [DONE]\n\n`);
    });
    try {
      const c = client({ endpoint: { baseUrl: odd.url, apiKey: KEY, apiKeyEnv: 'OPENAI_API_KEY' }, maxRetries: 0 });
      const seen: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const d of c.chatStream({ model: 'ft:loud', messages })) seen.push(d);
      };
      expect(await rejection(consume())).toMatchObject({ code: 'llm_error', message: `${odd.url}: model "ft:loud" streamed content that is not text` });
      expect(seen).toEqual(['Aye, ']);
      expect(c.limiter.stats.inFlight).toBe(0);
    } finally {
      await odd.close();
    }
  });

  it('retries connecting, and reports errors as RestyleErrors', async () => {
    fake.failNext(1, { status: 500 });
    let text = '';
    for await (const d of client({ maxRetries: 1 }).chatStream({ model: 'm', messages })) text += d;
    expect(text).toBe('YOUR ORDER SHIPPED.');
    fake.hangNext(1);
    const consume = async (): Promise<void> => {
      for await (const d of client({ maxRetries: 0, timeoutMs: 150 }).chatStream({ model: 'm', messages })) text += d;
    };
    expect(await rejection(consume())).toMatchObject({ code: 'llm_timeout' });
  });
});

describe('LlmClient models', () => {
  it('lists models and gets one; an unknown one is model_not_found', async () => {
    const c = client();
    fake.models.add('ft:pirate');
    expect(await c.listModels()).toEqual(expect.arrayContaining(['gpt-4.1-mini', 'ft:pirate']));
    expect((await c.getModel('ft:pirate')).id).toBe('ft:pirate');
    const e = await rejection(c.getModel('ft:nope'));
    expect(e.code).toBe('model_not_found');
    expect(e.message).toContain('"ft:nope"');
    expect(fake.requestsTo('/models/ft%3Anope').length + fake.requestsTo('/models/ft:nope').length).toBe(1);
  });
});
