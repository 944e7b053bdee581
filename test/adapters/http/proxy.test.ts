import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { ChatOpenAI } from '@langchain/openai';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { tmpDir } from '../../support/tmp.js';

// Two fakes: `upstream` is the answer model an app talks to; `styler` is the style model restyle calls.
let upstream: FakeOpenAI;
let styler: FakeOpenAI;
let ctx: AppContext;
let http: HttpServer;
let base: string;

const ANSWER = 'The build is green.\n\nDeploy after lunch.';
const styled = (text: string) => `~${text}~`;
// One block per paragraph (restyle.maxBlockParagraphs: 1 below), each styled on its own.
const EXPECTED = `${styled('The build is green.')}\n\n${styled('Deploy after lunch.')}`;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-upstream' });
  styler = await startFakeOpenAI({ apiKey: 'sk-style' });
});
afterAll(async () => {
  await upstream.close();
  await styler.close();
});

async function start(env: Record<string, string> = {}, extra: Record<string, unknown> = {}, restyle: Record<string, unknown> = {}): Promise<void> {
  const settings = settingsFrom(
    {
      styles: { pirate: { model: 'pirate-1' }, plain: { model: 'plain-1' } },
      proxy: { baseUrl: upstream.url, apiKeyEnv: 'UPSTREAM_KEY', tokens: { PIRATE_APP_TOKEN: 'pirate' }, ...extra },
      restyle: { cacheTtlSeconds: 0, maxBlockParagraphs: 1, ...restyle },
    },
    { OPENAI_API_KEY: 'sk-style', OPENAI_BASE_URL: styler.url, UPSTREAM_KEY: 'sk-upstream', RESTYLE_DATA_DIR: tmpDir('proxy'), ...env },
  );
  ctx = await createContext(settings, { logger: silentLogger(), registry: 'off' });
  http = createHttpServer({ ctx });
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}/v1`;
}

beforeEach(async () => {
  upstream.reset();
  styler.reset();
  upstream.setResponder(() => ANSWER);
  styler.setResponder((body) => styled(body.messages[1].content));
});
afterEach(async () => {
  await http?.close();
  await ctx?.close();
});

const sdk = (apiKey = 'anything') => new OpenAI({ baseURL: base, apiKey, maxRetries: 0 });

describe('OpenAI-compatible proxy through the openai SDK', () => {
  beforeEach(async () => start());

  it('restyles the assistant text block by block and adds the styling calls to usage', async () => {
    const r = await sdk().chat.completions.create({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'status?' }] });
    expect(r.choices[0]!.message.content).toBe(EXPECTED);
    // The upstream saw the real model id and the proxy's own key, never the caller's.
    const sent = upstream.requestsTo('/chat/completions')[0]!;
    expect(sent.body.model).toBe('gpt-4.1-mini');
    expect(sent.headers.authorization).toBe('Bearer sk-upstream');
    const styleCalls = styler.requestsTo('/chat/completions');
    expect(styleCalls.map((c) => c.body.model)).toEqual(['pirate-1', 'pirate-1']);
    const upstreamUsage = (await upstream.complete(sent.body)).usage as { total_tokens: number };
    const styleUsage = (r as unknown as { restyle: { usage: { total_tokens: number } } }).restyle.usage.total_tokens;
    expect(styleUsage).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(upstreamUsage.total_tokens + styleUsage);
    expect((r as unknown as { restyle: unknown }).restyle).toMatchObject({ style: 'pirate', by: 'model', styled: true, blocks: 2, fallbacks: 0 });
  });

  it('streams: the deltas add up to the styled text, finish and usage come last', async () => {
    const stream = await sdk().chat.completions.create({
      model: 'pirate/gpt-4.1-mini',
      messages: [{ role: 'user', content: 'status?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(EXPECTED);
    expect(finishes).toEqual(['stop']);
    expect(usage!.total_tokens).toBeGreaterThan(0);
    expect(styler.requestsTo('/chat/completions').length).toBe(2);
  });

  it('picks the style by header, model, token and default, and "none" turns it off', async () => {
    const ask = async (model: string, opts: { apiKey?: string; header?: string } = {}) => {
      styler.requests.length = 0;
      const r = await sdk(opts.apiKey).chat.completions.create(
        { model, messages: [{ role: 'user', content: 'hi' }] },
        opts.header ? { headers: { 'x-restyle-style': opts.header } } : {},
      );
      return { text: r.choices[0]!.message.content, models: styler.requestsTo('/chat/completions').map((c) => c.body.model as string) };
    };
    expect((await ask('plain/gpt-4.1-mini')).models[0]).toBe('plain-1');
    expect((await ask('plain/gpt-4.1-mini', { header: 'pirate' })).models[0]).toBe('pirate-1');
    expect(await ask('gpt-4.1-mini', { header: 'none' })).toEqual({ text: ANSWER, models: [] });
    // A model id with a slash whose first part is not a style is passed through as it is.
    expect(await ask('meta-llama/Llama-3')).toEqual({ text: ANSWER, models: [] });
    expect(upstream.requests.at(-1)!.body.model).toBe('meta-llama/Llama-3');
  });

  it('passes tool calls, JSON mode and non-text parts through untouched', async () => {
    const toolCall = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"city":"Houston"}' } };
    // Routes added to a fake stay for its lifetime: this test gets an upstream of its own.
    const tooling = await startFakeOpenAI();
    await http.close();
    await ctx.close();
    await start({}, { baseUrl: tooling.url });
    tooling.route('POST', /\/chat\/completions$/, ({ request }) => ({
      id: 'chatcmpl-tool',
      object: 'chat.completion',
      created: 1,
      model: request.body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: request.body.response_format ? '{"ok":true}' : null, tool_calls: request.body.response_format ? undefined : [toolCall] }, finish_reason: 'tool_calls' }],
    }));
    const tools = await sdk().chat.completions.create({
      model: 'pirate/gpt-4.1-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    expect(tools.choices[0]!.message.tool_calls).toEqual([toolCall]);
    const json = await sdk().chat.completions.create({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' } });
    expect(json.choices[0]!.message.content).toBe('{"ok":true}');
    expect(styler.requestsTo('/chat/completions')).toHaveLength(0);
    await tooling.close();
  });

  it('keeps the status and body of an upstream error', async () => {
    upstream.failNext(1, { status: 429, headers: { 'retry-after': '7' }, message: 'Slow down, upstream says' });
    const error = await sdk().chat.completions.create({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as Error).message).toContain('Slow down, upstream says');
    expect(styler.requests).toHaveLength(0);
  });

  it('relays the headers an SDK acts on (retry, rate limits, upstream request id), on errors and answers', async () => {
    const RATE = { 'retry-after': '99999', 'retry-after-ms': '99999000', 'x-should-retry': 'false', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-tokens': '6m0s' };
    const relayed = { ...RATE, 'x-request-id': 'req_upstream1', 'openai-processing-ms': '12', 'openai-organization': 'org-operator' };
    const call = (body: Record<string, unknown>, path = '/chat/completions') =>
      fetch(`${base}${path}`, { method: path === '/models' ? 'GET' : 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'mine-1' }, ...(path === '/models' ? {} : { body: JSON.stringify(body) }) });
    const expectRelayed = (res: Response) => {
      for (const [k, v] of Object.entries(RATE)) expect(res.headers.get(k), k).toBe(v);
      expect(res.headers.get('openai-processing-ms')).toBe('12');
      expect(res.headers.get('x-upstream-request-id')).toBe('req_upstream1');
      // Ours stays ours (the caller's id, echoed), and the operator's account is not named.
      expect(res.headers.get('x-request-id')).toBe('mine-1');
      expect(res.headers.get('openai-organization')).toBeNull();
    };
    upstream.failNext(1, { status: 429, headers: relayed, message: 'Slow down' });
    const limited = await call({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(limited.status).toBe(429);
    expectRelayed(limited);
    // Answers: a route of its own that sends the headers with every 200.
    const headed = await startFakeOpenAI();
    headed.route('POST', /\/chat\/completions$/, async ({ request, res }) => {
      if (!request.body.stream) return void res.writeHead(200, { 'content-type': 'application/json', ...relayed }).end(JSON.stringify(await upstream.complete(request.body)));
      res.writeHead(200, { 'content-type': 'text/event-stream', ...relayed });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    headed.route('GET', /\/models$/, ({ res }) => void res.writeHead(200, { 'content-type': 'application/json', ...relayed }).end('{"object":"list","data":[]}'));
    await http.close();
    await ctx.close();
    await start({}, { baseUrl: headed.url });
    const answers = [
      await call({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
      await call({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
      await call({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      await call({}, '/models'),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expectRelayed(res);
      await res.text();
    }
    await headed.close();
  });

  it("an upstream error that echoes the proxy's key reaches the caller with the key masked, streamed or not", async () => {
    // The fake, like some compatible servers, echoes the key it refused: here the proxy's own (UPSTREAM_KEY).
    upstream.setApiKey('sk-rotated');
    for (const stream of [false, true]) {
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream }),
      });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain('sk-upstream');
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toBe('Incorrect API key provided: [redacted].');
    }
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-upstream', 'Bearer sk-upstream']);
  });

  it('fails open when the style model is down: the upstream text comes back unstyled', async () => {
    styler.failNext(10, { status: 500 });
    const r = await sdk().chat.completions.create({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]!.message.content).toBe(ANSWER);
    expect((r as unknown as { restyle: { styled: boolean } }).restyle.styled).toBe(false);
  });

  it('an answer past restyle.maxChars comes back as written, marked text_too_long, streamed or not', async () => {
    await http.close();
    await ctx.close();
    await start({}, {}, { maxChars: 200 });
    // 20 short paragraphs, 298 characters: the upstream's answer, paid for, to a request that was fine.
    const long = Array.from({ length: 20 }, (_, i) => `Line ${String(i).padStart(2, '0')} here.`).join('\n\n');
    expect(long.length).toBeGreaterThan(200);
    upstream.setResponder(() => long);
    const r = await sdk().chat.completions.create({ model: 'pirate/gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]!.message.content).toBe(long);
    expect((r as unknown as { restyle: unknown }).restyle).toMatchObject({ styled: false, reason: 'text_too_long' });
    expect(styler.requests).toHaveLength(0);
    // Streamed, the blocks before the limit were styled and sent; the rest passes as written, with the same reason.
    const stream = await sdk().chat.completions.create({
      model: 'pirate/gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let summary: { reason?: string } | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      summary = (c as unknown as { restyle?: { reason?: string } }).restyle ?? summary;
    }
    expect(text.startsWith(styled('Line 00 here.'))).toBe(true);
    expect(text.endsWith(long.slice(-100))).toBe(true);
    expect(summary?.reason).toBe('text_too_long');
  });

  it('answers bad requests with a message naming the field', async () => {
    const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-restyle-style': 'klingon' }, body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [] }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/unknown style "klingon"/);
    const noModel = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [] }) });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toMatch(/^model: required/);
  });

  it('a body nested too deeply to forward is a 400 naming it, before anything goes upstream', async () => {
    // 3 MiB, under proxy.bodyLimitBytes (4 MiB): as deep as an array and as an object chain can go.
    const depth = 1_500_000;
    const bodies = [
      `{"model":"pirate/gpt-4.1-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      `{"model":"pirate/gpt-4.1-mini","messages":[],"metadata":${'{"a":'.repeat(depth / 5)}1${'}'.repeat(depth / 5)}}`,
    ];
    for (const body of bodies) {
      const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'input_invalid', message: 'body: nested too deeply to forward (no chat completion request nests that far)' } });
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('an upstream redirect is not followed: the prompt does not go where it points, and the caller hears 502', async () => {
    const elsewhere = await startFakeOpenAI();
    const moved = await startFakeOpenAI();
    moved.route('POST', /\/chat\/completions$/, (c) => {
      c.res.writeHead(307, { location: `${elsewhere.url}/chat/completions` });
      c.res.end();
    });
    await http.close();
    await ctx.close();
    await start({}, { baseUrl: moved.url });
    const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'pirate/m', messages: [{ role: 'user', content: 'a secret plan' }] }) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/answered 307 \(a redirect\): not followed/);
    expect(elsewhere.requests).toHaveLength(0);
    await Promise.all([elsewhere.close(), moved.close()]);
  });

  it('an upstream answer nested too deeply to send on is a 502, not a 500 stack overflow', async () => {
    const deep = await startFakeOpenAI();
    const nested = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    deep.route('POST', /\/chat\/completions$/, (c) => {
      c.res.writeHead(200, { 'content-type': 'application/json' });
      c.res.end(`{"id":"c","object":"chat.completion","created":1,"model":"m","extra":${nested},"choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"stop"}]}`);
    });
    await http.close();
    await ctx.close();
    await start({}, { baseUrl: deep.url });
    const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('llm_error');
    await deep.close();
  });

  it('an upstream answer with a choice that is not an object is a 502 naming it', async () => {
    const broken = await startFakeOpenAI();
    broken.route('POST', /\/chat\/completions$/, () => ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' } }, null] }));
    await http.close();
    await ctx.close();
    await start({}, { baseUrl: broken.url });
    const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: { code: 'llm_error', message: 'the upstream answered 200 with a malformed chat completion: choices[1] is null, not an object' } });
    expect(styler.requests).toHaveLength(0);
    await broken.close();
  });

  it('n choices share one budget of restyle.maxBlocks style calls; the choices past it come back as written', async () => {
    const many = await startFakeOpenAI();
    many.route('POST', /\/chat\/completions$/, ({ request }) => ({
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: Array.from({ length: request.body.n as number }, (_, index) => ({ index, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' })),
    }));
    await http.close();
    await ctx.close();
    // ANSWER is 2 blocks: a budget of 5 styles choices 0 and 1 (4 calls), not 20 × 2.
    await start({}, { baseUrl: many.url }, { maxBlocks: 5 });
    const r = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], n: 20 });
    expect(r.choices.map((c) => c.message.content)).toEqual([EXPECTED, EXPECTED, ...Array<string>(18).fill(ANSWER)]);
    expect(styler.requestsTo('/chat/completions')).toHaveLength(4);
    expect((r as unknown as { restyle: unknown }).restyle).toMatchObject({ styled: true, blocks: 4, reason: 'max_blocks' });
    await many.close();
  });

  it('lists the upstream models', async () => {
    const ids = [];
    for await (const m of sdk().models.list()) ids.push(m.id);
    expect(ids).toEqual(['gpt-4.1-mini', 'gpt-4o-mini']);
  });
});

describe('proxy auth', () => {
  it('with RESTYLE_API_TOKEN set, needs it or a style token; a style token picks its style', async () => {
    await start({ RESTYLE_API_TOKEN: 'tok-api', PIRATE_APP_TOKEN: 'tok-pirate' });
    const denied = await sdk('wrong').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    const api = await sdk('tok-api').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(api.choices[0]!.message.content).toBe(ANSWER);
    const pirate = await sdk('tok-pirate').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(pirate.choices[0]!.message.content).toContain(styled('The build is green.'));
    expect(upstream.requests.every((r) => r.headers.authorization === 'Bearer sk-upstream')).toBe(true);
  });

  it('a bare style name as the model uses proxy.defaultModel, and /models lists the styles', async () => {
    await start({}, { defaultModel: 'gpt-4o-mini', defaultStyle: 'plain' });
    const r = await sdk().chat.completions.create({ model: 'pirate', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requestsTo('/chat/completions').at(-1)!.body.model).toBe('gpt-4o-mini');
    expect(r.choices[0]!.message.content).toContain(styled('Deploy after lunch.'));
    const ids = [];
    for await (const m of sdk().models.list()) ids.push(m.id);
    expect(ids).toEqual(['gpt-4.1-mini', 'gpt-4o-mini', 'pirate/gpt-4o-mini', 'plain/gpt-4o-mini']);
    const byDefault = await sdk().chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(byDefault.choices[0]!.message.content).toContain(styled('The build is green.'));
    expect(styler.requests.at(-1)!.body.model).toBe('plain-1');
  });
});

describe('other OpenAI clients pointed at the proxy', () => {
  beforeEach(async () => start());

  it('Vercel AI SDK (openai-compatible provider): generateText and streamText', async () => {
    const provider = createOpenAICompatible({ name: 'restyle', baseURL: base, apiKey: 'anything' });
    const a = await generateText({ model: provider('pirate/gpt-4.1-mini'), prompt: 'status?', maxRetries: 0 });
    expect(a.text).toBe(EXPECTED);
    const s = streamText({ model: provider('pirate/gpt-4.1-mini'), prompt: 'status?', maxRetries: 0 });
    let text = '';
    for await (const part of s.textStream) text += part;
    expect(text).toBe(EXPECTED);
  });

  it('LangChain JS (ChatOpenAI): invoke and stream', async () => {
    const chat = new ChatOpenAI({ model: 'pirate/gpt-4.1-mini', apiKey: 'anything', configuration: { baseURL: base }, maxRetries: 0 });
    const a = await chat.invoke('status?');
    expect(a.content).toBe(EXPECTED);
    let text = '';
    for await (const chunk of await chat.stream('status?')) text += String(chunk.content);
    expect(text).toBe(EXPECTED);
  });
});

describe('streaming faults', () => {
  let custom: FakeOpenAI;
  // What the custom upstream does with a streamed request; set per test.
  let script: (res: ServerResponse) => void;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

  beforeAll(async () => {
    custom = await startFakeOpenAI();
    custom.route('POST', /\/chat\/completions$/, ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      script(res);
      return undefined;
    });
  });
  afterAll(async () => custom.close());
  beforeEach(async () => start({}, { baseUrl: custom.url }));

  it('sends the first styled block while the upstream is still writing the rest', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: '' }));
      // A block is final once a later paragraph has a complete line (the splitter could still join or cut it).
      res.write(chunk({ content: 'First part.\n\nSecond part.\n' }));
      // The rest comes only once the client has seen styled text: a proxy that waited for the end would hang here.
      void held.then(() => {
        res.write(chunk({ content: '\nThird part.' }));
        res.write(chunk({}, 'stop'));
        res.end('data: [DONE]\n\n');
      });
    };
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true });
    const deltas: string[] = [];
    for await (const c of stream) {
      const d = c.choices[0]?.delta.content;
      if (d) {
        deltas.push(d);
        release();
      }
    }
    expect(deltas[0]).toBe(styled('First part.'));
    expect(deltas.join('')).toBe(`${styled('First part.')}\n\n${styled('Second part.')}\n\n${styled('Third part.')}`);
  });

  it('passes streamed tool-call deltas through untouched', async () => {
    const call = { index: 0, id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '{"city":"Houston"}' } };
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: null, tool_calls: [call] }));
      res.write(chunk({}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
    };
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true });
    const calls: unknown[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      calls.push(...(c.choices[0]?.delta.tool_calls ?? []));
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([call]);
    expect(finish).toBe('tool_calls');
    expect(styler.requests).toHaveLength(0);
  });

  it('an upstream stream cut mid-answer: what arrived is styled and sent, then an error chunk the SDK raises (no finish, no [DONE])', async () => {
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: '' }));
      res.write(chunk({ content: 'First part.\n\n' }));
      res.write(chunk({ content: 'Second' }));
      setImmediate(() => res.socket?.destroy());
    };
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    let finish: string | null = null;
    const error = await (async () => {
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/upstream stream ended before the answer was complete/);
    expect(text).toBe(`${styled('First part.')}\n\n${styled('Second')}`);
    expect(finish).toBeNull();
  });

  it.each([
    ['a choice that is null', `data: ${JSON.stringify({ id: 'chatcmpl-c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [null] })}\n\n`, 'choices[0] is null, not an object'],
    ['an event that is not JSON', 'data: {"choices": [\n\n', 'an event that is not JSON'],
  ])('a malformed chunk mid-stream (%s): what arrived is styled and sent, then an error chunk naming it', async (_what, bad, named) => {
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: '' }));
      res.write(chunk({ content: 'First part.\n\n' }));
      res.write(bad);
      res.write(chunk({ content: 'Never read.' }));
      res.end('data: [DONE]\n\n');
    };
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    const error = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain(`the upstream sent a malformed stream chunk: ${named}`);
    expect(text).toBe(`${styled('First part.')}\n\n`);
  });

  it("an error event mid-stream is relayed with the proxy's secrets masked, styled or passed through", async () => {
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: '' }));
      res.end(`data: ${JSON.stringify({ error: { message: 'key sk-upstream was revoked (style key sk-style too)', type: 'invalid_request_error' } })}\n\n`);
    };
    for (const model of ['pirate/m', 'm']) {
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      const text = await res.text();
      expect(text, model).toContain('key [redacted] was revoked (style key [redacted] too)');
      expect(text, model).not.toMatch(/sk-upstream|sk-style/);
    }
    // A second choice passed on beside the styled first one is masked as well.
    script = (res) => {
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 1, delta: { content: 'the key is sk-upstream' }, finish_reason: null }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true, n: 2 }) });
    const text = await res.text();
    expect(text).toContain('the key is [redacted]');
    expect(text).not.toContain('sk-upstream');
  });

  it('n choices streamed: the first is styled, the others pass as they come (one request, one budget)', async () => {
    const of = (index: number, delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
    script = (res) => {
      for (const i of [0, 1, 2]) res.write(of(i, { role: 'assistant', content: '' }));
      for (const i of [0, 1, 2]) res.write(of(i, { content: 'First part.\n\n' }));
      for (const i of [0, 1, 2]) res.write(of(i, { content: 'Second part.' }));
      for (const i of [0, 1, 2]) res.write(of(i, {}, 'stop'));
      res.end(`data: ${JSON.stringify({ id: 'chatcmpl-c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\ndata: [DONE]\n\n`);
    };
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true, n: 3, stream_options: { include_usage: true } });
    const texts = ['', '', ''];
    const finishes: number[] = [];
    let summary: { reason?: string; styled?: boolean } | undefined;
    for await (const c of stream) {
      for (const choice of c.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finishes.push(choice.index);
      }
      summary = (c as unknown as { restyle?: typeof summary }).restyle ?? summary;
    }
    expect(texts).toEqual([`${styled('First part.')}\n\n${styled('Second part.')}`, 'First part.\n\nSecond part.', 'First part.\n\nSecond part.']);
    expect(finishes.sort()).toEqual([0, 1, 2]);
    expect(styler.requestsTo('/chat/completions')).toHaveLength(2);
    expect(summary).toMatchObject({ styled: true, reason: 'max_blocks' });
  });

  it('a client hanging up cancels the upstream request', async () => {
    let upstreamClosed = false;
    script = (res) => {
      res.write(chunk({ role: 'assistant', content: 'Still thinking' }));
      res.once('close', () => (upstreamClosed = true));
      // Never ends by itself: only the proxy going away closes it.
    };
    const controller = new AbortController();
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    controller.abort();
    await vi.waitFor(() => expect(upstreamClosed).toBe(true));
    expect(styler.requests).toHaveLength(0);
  });
});

describe('upstream bodies past proxy.maxResponseBytes', () => {
  const LIMIT = 256 * 1024;
  let flooding: FakeOpenAI;
  // Whether the last flood was cut by the proxy before the upstream finished writing it.
  let cut = false;
  let finished = false;

  /** Writes `prefix`, then 64 KiB pieces (16 MiB in all, far past LIMIT) as fast as the reader takes them, then `suffix`. */
  const flood = async (res: ServerResponse, prefix: string, suffix: string): Promise<void> => {
    cut = false;
    finished = false;
    res.once('close', () => (cut = !res.writableFinished));
    res.write(prefix);
    const piece = 'a'.repeat(64 * 1024);
    for (let i = 0; i < 256 && !res.destroyed; i++) {
      if (!res.write(piece)) await drainOrClose(res);
    }
    if (!res.destroyed) {
      res.end(suffix);
      finished = true;
    }
  };

  beforeAll(async () => {
    flooding = await startFakeOpenAI();
    flooding.route('POST', /\/chat\/completions$/, async ({ request, res }) => {
      if (request.body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi. ' }, finish_reason: null }] })}\n\n`);
        // One event that never ends: a long stream is fine, one endless line is not.
        await flood(res, 'data: {"pad":"', '"}\n\ndata: [DONE]\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        await flood(res, '{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"', '"},"finish_reason":"stop"}]}');
      }
      return undefined;
    });
    flooding.route('GET', /\/models$/, async ({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      await flood(res, '{"object":"list","data":[{"id":"', '","object":"model"}]}');
      return undefined;
    });
  });
  afterAll(async () => flooding.close());
  beforeEach(async () => start({}, { baseUrl: flooding.url, maxResponseBytes: LIMIT }));

  const post = (model: string, stream = false) =>
    fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }], stream }) });

  it.each([
    ['a styled answer', () => post('pirate/m')],
    ['an unstyled answer (relayed)', () => post('m')],
    ['the model list', () => fetch(`${base}/models`)],
  ])('%s: 502 naming the limit, and the upstream body is cancelled', async (_what, call) => {
    const res = await call();
    expect(res.status).toBe(502);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('llm_error');
    expect(error.message).toContain(`larger than ${LIMIT} bytes (proxy.maxResponseBytes)`);
    await vi.waitFor(() => expect(cut).toBe(true));
    expect(finished).toBe(false);
    expect(styler.requests).toHaveLength(0);
  });

  it('streamed: one event past the limit ends the stream with an error chunk naming it, and cancels the upstream', async () => {
    const stream = await sdk().chat.completions.create({ model: 'pirate/m', messages: [{ role: 'user', content: 'x' }], stream: true });
    const error = await (async () => {
      for await (const c of stream) void c;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain(`larger than ${LIMIT} bytes (proxy.maxResponseBytes)`);
    await vi.waitFor(() => expect(cut).toBe(true));
    expect(finished).toBe(false);
  });
});

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}
