/**
 * A fake OpenAI-compatible endpoint for tests and benches: a real `node:http` server on 127.0.0.1:0
 * speaking the REST shapes the openai SDK expects (chat completions, plain and SSE streaming, models),
 * recording every request, and able to inject latency, error statuses (429 + Retry-After, 500, 403…),
 * hanging requests and dropped connections.
 *
 * Routes are a small table of `(method, pathRegex) → handler`; later features add theirs with
 * `fake.route(...)` (files, batches, fine-tuning jobs) without touching this file's core.
 *
 * @example
 * const fake = await startFakeOpenAI({ apiKey: 'sk-test' });
 * fake.setResponder((body) => body.messages.at(-1).content.toUpperCase());
 * fake.failNext(1, { status: 429, headers: { 'retry-after': '1' } });
 * const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test' });
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseBody, readBody } from './http-body.js';

/** Request bodies are whatever the client sent; tests read them loosely (`body.messages[1].content`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FakeBody = any;

export interface FakeRequest {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** Pathname including `/v1`, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text for other content types (multipart uploads), undefined when empty. */
  body: FakeBody;
  /** `Date.now()` when the request arrived: compare these to check when retries happened. */
  at: number;
  /** What the fake did instead of routing: a fault injected with failNext/hangNext/dropNext. */
  fault?: 'fail' | 'hang' | 'drop' | 'cut';
  /** The client closed the connection before the answer was complete (a cancelled call). */
  clientClosed?: boolean;
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type ResponderResult = string | { content: string; usage?: Partial<FakeUsage>; finishReason?: string };

/** Produces the assistant's reply from the parsed request body; may be async. */
export type Responder = (body: FakeBody, request: FakeRequest) => ResponderResult | Promise<ResponderResult>;

export interface FailureSpec {
  status: number;
  headers?: Record<string, string>;
  /** Shorthands for the default body's `error.code` and `error.message` (e.g. `training_not_available`). */
  code?: string;
  message?: string;
  /** The whole JSON body instead; by default OpenAI's error shape with a message, type and code fitting the status. */
  body?: unknown;
}

export interface RouteContext {
  request: FakeRequest;
  /** Capture groups of the path regex. */
  params: string[];
  rawBody: Buffer;
  res: ServerResponse;
  fake: FakeOpenAI;
  json(status: number, data: unknown, headers?: Record<string, string>): void;
  /** An error in OpenAI's shape `{error: {message, type, code, param}}`. */
  error(status: number, message: string, options?: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> }): void;
}

/** Return a value to send it as JSON 200, or answer through `ctx` yourself and return undefined. */
export type RouteHandler = (ctx: RouteContext) => unknown;

export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** Models served by `GET /v1/models` (default `gpt-4.1-mini`, `gpt-4o-mini`). */
  models?: Iterable<string>;
  /** Chat completions for a model not in `models` get a 404 `model_not_found` (default false: any model works). */
  strictModels?: boolean;
  latencyMs?: number;
  responder?: Responder;
}

export interface FakeOpenAI {
  /** Base URL for the SDK (`http://127.0.0.1:PORT/v1`). */
  readonly url: string;
  readonly origin: string;
  /** Every request received, faults included; clear with `requests.length = 0`. */
  readonly requests: FakeRequest[];
  readonly models: Set<string>;
  setResponder(fn: Responder): void;
  /** Delay before answering every request (ms). */
  setLatency(ms: number): void;
  /** Streamed replies send one word (a "token") per 1000/rate ms, and plain replies wait as long; 0 (the default) answers at once. */
  setStreamRate(tokensPerSecond: number): void;
  /** The next streamed reply is cut (socket destroyed) after `deltas` content deltas. */
  cutNextStream(deltas: number): void;
  setApiKey(key: string | undefined): void;
  setStrictModels(strict: boolean): void;
  /** The next `n` requests (any route) get this status, headers and body. */
  failNext(n: number, failure: FailureSpec): void;
  /** The next `n` requests are accepted and never answered. */
  hangNext(n?: number): void;
  /** The next `n` requests have their socket destroyed without an answer. */
  dropNext(n?: number): void;
  /** Add a route; added routes are matched before the built-in ones. The regex sees the pathname with `/v1`. */
  route(method: string, path: RegExp, handler: RouteHandler): void;
  /** A chat.completion object for a request body, from the current responder (Batch API fakes use it). */
  complete(body: FakeBody, request?: FakeRequest): Promise<Record<string, unknown>>;
  /** Back to the start state between tests: no requests, faults, latency or strictness; the default responder and models. */
  reset(): void;
  /** Requests whose path ends with `suffix` (e.g. `/chat/completions`). */
  requestsTo(suffix: string): FakeRequest[];
  close(): Promise<void>;
}

type Fault = { kind: 'fail'; failure: FailureSpec } | { kind: 'hang' } | { kind: 'drop' };

interface Route {
  method: string;
  path: RegExp;
  handler: RouteHandler;
}

const DEFAULT_MODELS = ['gpt-4.1-mini', 'gpt-4o-mini'];

/** The default "style": the last user message upper-cased, so tests can tell styled text at a glance. */
export const upperCaseResponder: Responder = (body) => {
  const messages = (body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content.toUpperCase() : '';
};

/** Usage from string lengths (≈ 4 chars a token, 3 per message of framing), like the real thing roughly. */
export function fakeUsage(body: FakeBody, content: string): FakeUsage {
  const messages = (body?.messages ?? []) as Array<{ content: unknown }>;
  const prompt = 3 + messages.reduce((n, m) => n + 3 + Math.ceil(String(m.content ?? '').length / 4), 0);
  const completion = Math.ceil(content.length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  const models = new Set(options.models ?? DEFAULT_MODELS);
  const faults: Fault[] = [];
  const extraRoutes: Route[] = [];
  const sockets = new Set<Socket>();
  /** Pending latency waits: close() settles them so no handler is left waiting on a cleared timer. */
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let responder: Responder = options.responder ?? upperCaseResponder;
  let latencyMs = options.latencyMs ?? 0;
  let streamRate = 0;
  const cuts: number[] = [];
  let apiKey = options.apiKey;
  let strictModels = options.strictModels ?? false;
  let seq = 0;
  let ids = 0;
  let closed = false;

  const wait = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.set(t, resolve);
        });

  const chatCompletions: RouteHandler = async (ctx) => {
    const body = ctx.request.body;
    if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
      return ctx.error(400, "'messages' is a required property", { type: 'invalid_request_error', param: 'messages' });
    }
    const model = String(body.model ?? '');
    if (strictModels && !models.has(model)) {
      return ctx.error(404, `The model \`${model}\` does not exist or you do not have access to it.`, { type: 'invalid_request_error', code: 'model_not_found' });
    }
    if (body.stream === true) {
      const result = await responder(body, ctx.request);
      const reply = typeof result === 'string' ? { content: result } : result;
      const usage = { ...fakeUsage(body, reply.content), ...reply.usage };
      const id = `chatcmpl-fake-${++ids}`;
      const created = Math.floor(Date.now() / 1000);
      const pace = { wait, gapMs: streamRate > 0 ? 1000 / streamRate : 0, cutAfter: cuts.shift(), onCut: () => (ctx.request.fault = 'cut') };
      return sendStream(ctx.res, { id, created, model, content: reply.content, finishReason: reply.finishReason ?? 'stop', usage: body.stream_options?.include_usage ? usage : undefined }, pace);
    }
    const completion = await complete(body, ctx.request);
    // A model that writes at `streamRate` takes as long to answer in one piece as to stream it.
    if (streamRate > 0) {
      const content = String((completion.choices as Array<{ message: { content: string } }>)[0]!.message.content);
      await wait((Math.max(1, (content.match(/\s*\S+\s*/g) ?? []).length) - 1) * (1000 / streamRate));
    }
    ctx.json(200, completion);
  };

  async function complete(body: FakeBody, request?: FakeRequest): Promise<Record<string, unknown>> {
    const result = await responder(body, request as FakeRequest);
    const reply = typeof result === 'string' ? { content: result } : result;
    const usage = { ...fakeUsage(body, reply.content), ...reply.usage };
    return {
      id: `chatcmpl-fake-${++ids}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: String(body.model ?? ''),
      choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, finish_reason: reply.finishReason ?? 'stop', logprobs: null }],
      usage,
    };
  }

  const builtIn: Route[] = [
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handler: chatCompletions },
    { method: 'GET', path: /^\/v1\/models$/, handler: () => ({ object: 'list', data: [...models].map(modelObject) }) },
    {
      method: 'GET',
      path: /^\/v1\/models\/(.+)$/,
      handler: (ctx) => {
        const id = decodeURIComponent(ctx.params[0]!);
        if (models.has(id)) return modelObject(id);
        ctx.error(404, `The model '${id}' does not exist`, { type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
      },
    },
  ];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendError(res, 500, `fake OpenAI: ${error instanceof Error ? error.message : String(error)}`, { type: 'server_error' });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: FakeRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseBody(rawBody, req.headers['content-type']),
      at,
    };
    requests.push(request);
    res.once('close', () => {
      if (!res.writableFinished && request.fault !== 'drop' && request.fault !== 'cut') request.clientClosed = true;
    });
    const fault = faults.shift();
    if (fault?.kind === 'drop') {
      request.fault = 'drop';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      request.fault = 'hang';
      return; // close() destroys the socket
    }
    await wait(latencyMs);
    if (closed || res.destroyed) return;
    if (fault?.kind === 'fail') {
      request.fault = 'fail';
      const { status, headers, body, code, message } = fault.failure;
      const error = { ...defaultError(status), ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body ?? { error }));
      return;
    }
    if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
      // Deliberately echoes what it got, as some compatible servers do: clients must not repeat it.
      const got = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '';
      return sendError(res, 401, got ? `Incorrect API key provided: ${got}.` : "You didn't provide an API key.", { type: 'invalid_request_error', code: 'invalid_api_key' });
    }
    const method = request.method.toUpperCase();
    let allowed = false;
    for (const route of [...extraRoutes, ...builtIn]) {
      const match = route.path.exec(request.path);
      if (!match) continue;
      if (route.method.toUpperCase() !== method) {
        allowed = true;
        continue;
      }
      const ctx: RouteContext = {
        request,
        params: match.slice(1),
        rawBody,
        res,
        fake,
        json: (status, data, headers) => sendJson(res, status, data, headers),
        error: (status, message, opts) => sendError(res, status, message, opts),
      };
      const out = await route.handler(ctx);
      if (!res.headersSent && !res.destroyed) {
        if (out === undefined) sendError(res, 500, `fake OpenAI: route ${route.path} sent nothing`, { type: 'server_error' });
        else sendJson(res, 200, out);
      }
      return;
    }
    sendError(res, allowed ? 405 : 404, `Invalid URL (${method} ${request.path})`, { type: 'invalid_request_error' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const fake: FakeOpenAI = {
    url: `${origin}/v1`,
    origin,
    requests,
    models,
    setResponder(fn) {
      responder = fn;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setApiKey(key) {
      apiKey = key;
    },
    setStreamRate(tokensPerSecond) {
      streamRate = tokensPerSecond;
    },
    cutNextStream(deltas) {
      cuts.push(deltas);
    },
    setStrictModels(strict) {
      strictModels = strict;
    },
    failNext(n, failure) {
      for (let i = 0; i < n; i++) faults.push({ kind: 'fail', failure });
    },
    hangNext(n = 1) {
      for (let i = 0; i < n; i++) faults.push({ kind: 'hang' });
    },
    dropNext(n = 1) {
      for (let i = 0; i < n; i++) faults.push({ kind: 'drop' });
    },
    route(method, path, handler) {
      extraRoutes.push({ method, path, handler });
    },
    complete,
    reset() {
      requests.length = 0;
      faults.length = 0;
      latencyMs = options.latencyMs ?? 0;
      streamRate = 0;
      cuts.length = 0;
      responder = options.responder ?? upperCaseResponder;
      strictModels = options.strictModels ?? false;
      apiKey = options.apiKey;
      models.clear();
      for (const m of options.models ?? DEFAULT_MODELS) models.add(m);
    },
    requestsTo(suffix) {
      return requests.filter((r) => r.path.endsWith(suffix));
    },
    async close() {
      closed = true;
      for (const [t, resolve] of timers) {
        clearTimeout(t);
        resolve();
      }
      timers.clear();
      // Hanging requests and keep-alive connections would keep server.close() waiting forever.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function modelObject(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id, object: 'model', created: 1_700_000_000, owned_by: id.startsWith('ft:') ? 'user' : 'system' };
}

async function sendStream(
  res: ServerResponse,
  r: { id: string; created: number; model: string; content: string; finishReason: string; usage: FakeUsage | undefined },
  pace: { wait: (ms: number) => Promise<void>; gapMs: number; cutAfter: number | undefined; onCut: () => void },
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (choices: unknown[], usage?: FakeUsage): void => {
    res.write(`data: ${JSON.stringify({ id: r.id, object: 'chat.completion.chunk', created: r.created, model: r.model, choices, ...(usage ? { usage } : {}) })}\n\n`);
  };
  chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  // Word by word (keeping the spaces), so clients see several deltas.
  let sent = 0;
  const started = Date.now();
  for (const piece of r.content.match(/\s*\S+\s*/g) ?? (r.content ? [r.content] : [])) {
    if (pace.cutAfter !== undefined && sent >= pace.cutAfter) {
      pace.onCut();
      // Let what was sent reach the client first: a cut mid-answer, not a failed connect.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.destroy();
      return;
    }
    // On a schedule from the first token, so timer overshoot does not add up over a long answer.
    if (sent > 0 && pace.gapMs > 0) await pace.wait(started + sent * pace.gapMs - Date.now());
    if (res.destroyed) return;
    chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    sent += 1;
  }
  chunk([{ index: 0, delta: {}, finish_reason: r.finishReason }]);
  if (r.usage) chunk([], r.usage);
  res.end('data: [DONE]\n\n');
}

function sendJson(res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(data));
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  opts: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
): void {
  sendJson(res, status, { error: { message, type: opts.type ?? 'invalid_request_error', code: opts.code ?? null, param: opts.param ?? null } }, opts.headers);
}

function defaultError(status: number): { message: string; type: string; code: string | null; param: string | null } {
  if (status === 429) return { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded', param: null };
  if (status === 401) return { message: 'Invalid authentication', type: 'invalid_request_error', code: 'invalid_api_key', param: null };
  if (status === 403) return { message: 'You are not allowed to do this', type: 'invalid_request_error', code: null, param: null };
  if (status === 404) return { message: 'Not found', type: 'invalid_request_error', code: 'model_not_found', param: null };
  if (status >= 500) return { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null, param: null };
  return { message: `Error ${status}`, type: 'invalid_request_error', code: null, param: null };
}

