import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../../src/app.js';
import { RestyleError } from '../../src/errors.js';
import { chooseStyle, type StyleChoice } from '../../src/proxy/choose-style.js';
import { blockBudget } from '../../src/proxy/block-budget.js';
import { readUpstream, readUpstreamJson } from '../../src/proxy/read-upstream.js';
import { restyleCompletion, wantsStructuredOutput } from '../../src/proxy/restyle-completion.js';
import { secretScrubber } from '../../src/proxy/scrub-secrets.js';
import { upstreamHeaders } from '../../src/proxy/upstream-headers.js';
import { readJson } from './body.js';
import { proxyTokenOf } from './proxy-token.js';
import { deadline } from '../../src/util/deadline.js';
import { jsonText } from '../../src/util/json-text.js';
import { streamCompletion } from './proxy-stream.js';

type Json = Record<string, unknown>;
type ProxySettings = AppContext['settings']['proxy'];

export interface ProxyRouteOptions {
  ctx: AppContext;
  /** The API's own check (RESTYLE_API_TOKEN, or loopback only without one); throws when refused. */
  authorize(req: IncomingMessage): void;
  send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
}

/** An upstream call in flight: aborted when the caller goes away or the timeout passes. */
export interface UpstreamCall {
  response: Response;
  signal: AbortSignal;
}

/**
 * `POST /v1/chat/completions` and `GET /v1/models`: an OpenAI-compatible styling proxy. Any app that speaks
 * the OpenAI API gets the house voice by pointing its base URL here; the request goes to `proxy.baseUrl`
 * (default OPENAI_BASE_URL) with the proxy's own key, and the assistant's text comes back restyled.
 */
export function proxyRoutes({ ctx, authorize, send }: ProxyRouteOptions) {
  const { proxy } = ctx.settings;
  // Built once: every relayed error body and passed-on stream event loses any secret of ours.
  const clean = secretScrubber(ctx.settings);

  /** A caller token bound to a style authorises the proxy on its own; anything else goes through the API's check. */
  const authenticate = (req: IncomingMessage): string | undefined => {
    const style = proxyTokenOf(proxy.tokens, req)?.style;
    if (style === undefined) authorize(req);
    return style;
  };

  const completions = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const tokenStyle = authenticate(req);
    const raw = await readJson(req, proxy.bodyLimitBytes);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new RestyleError('input_invalid', 'body: must be a chat completion request object', { details: { status: 400 } });
    }
    const request = raw as Json;
    const choice: StyleChoice = chooseStyle(ctx.settings, { model: request.model, header: header(req, 'x-restyle-style'), tokenStyle });
    const stream = request.stream === true;
    const structured = wantsStructuredOutput(request);
    const style = structured ? null : choice.style;
    const labels = { style: style ?? 'none', stream: String(stream) };
    const payload = forwardable({ ...request, model: choice.model });
    // A style that cannot run (a prompt parameter nobody gave) is the caller's 400, before anything is paid.
    if (style) await ctx.restyler.prepare({ style });
    const upstream = await upstreamCall(proxy, res, '/chat/completions', { method: 'POST', body: payload });
    const info = { ...upstreamHeaders(upstream.response.headers), 'x-restyle-style': style ?? 'none' };
    if (!upstream.response.ok) {
      ctx.metrics.proxied.inc({ ...labels, outcome: 'upstream_error' });
      return relay(proxy, clean, res, upstream.response, info);
    }
    if (stream) {
      const outcome = await streamCompletion({ ctx, res, upstream, style: style ? { style, by: choice.by } : null, headers: info, clean });
      ctx.metrics.proxied.inc({ ...labels, outcome });
      return;
    }
    if (!style) {
      ctx.metrics.proxied.inc({ ...labels, outcome: 'passthrough' });
      return relay(proxy, clean, res, upstream.response, info);
    }
    const completion = (await readUpstreamJson(upstream.response, proxy.maxResponseBytes, proxy.upstream.baseUrl)) as Json | null;
    if (!completion || typeof completion !== 'object') {
      throw new RestyleError('llm_error', `upstream ${proxy.upstream.baseUrl} answered 200 with a body that is not a JSON object`, { details: { status: 502 } });
    }
    const { body, summary } = await restyleCompletion(completion, ctx.restyler, { style, by: choice.by }, { signal: upstream.signal, budget: blockBudget(ctx.settings.restyle) });
    ctx.metrics.proxied.inc({ ...labels, outcome: summary.styled ? 'styled' : 'passthrough' });
    send(res, 200, body, info);
  };

  /** The upstream's models, plus `<style>/<proxy.defaultModel>` for each style when a default model is set. */
  const models = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    authenticate(req);
    const upstream = await upstreamCall(proxy, res, '/models', { method: 'GET' });
    if (!upstream.response.ok) return relay(proxy, clean, res, upstream.response, upstreamHeaders(upstream.response.headers));
    const listed = (await readUpstreamJson(upstream.response, proxy.maxResponseBytes, proxy.upstream.baseUrl)) as { data?: unknown } | null;
    const data = Array.isArray(listed?.data) ? [...listed.data] : [];
    const created = Math.floor(Date.now() / 1000);
    if (proxy.defaultModel) {
      for (const name of Object.keys(ctx.settings.styles).sort()) data.push({ id: `${name}/${proxy.defaultModel}`, object: 'model', created, owned_by: 'restyle' });
    }
    send(res, 200, { object: 'list', data }, upstreamHeaders(upstream.response.headers));
  };

  return { completions, models };
}

/** Call the upstream with the proxy's own key; the caller hanging up (or proxy.timeoutMs) cancels it and any styling still running. */
async function upstreamCall(proxy: ProxySettings, res: ServerResponse, path: string, init: RequestInit): Promise<UpstreamCall> {
  const controller = new AbortController();
  // Not AbortSignal.timeout inside AbortSignal.any: on Node 20 a GC can drop that timer (src/util/deadline.ts).
  const limit = deadline(proxy.timeoutMs, controller.signal);
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new RestyleError('input_invalid', 'the client closed the connection'));
    limit.clear();
  });
  const signal = limit.signal;
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  if (proxy.upstream.apiKey) headers.authorization = `Bearer ${proxy.upstream.apiKey}`;
  let response: Response;
  try {
    // A redirect is not followed: it would send the caller's prompt to wherever the upstream points.
    response = await fetch(`${proxy.upstream.baseUrl}${path}`, { ...init, headers, signal, redirect: 'manual' });
  } catch (error) {
    const timedOut = limit.timedOut;
    throw new RestyleError(timedOut ? 'llm_timeout' : 'llm_unavailable', `upstream ${proxy.upstream.baseUrl} ${timedOut ? `did not answer within ${proxy.timeoutMs} ms (proxy.timeoutMs)` : `is unreachable: ${(error as Error).message}`}`, {
      cause: error,
      details: { status: timedOut ? 504 : 502 },
    });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new RestyleError('llm_unavailable', `upstream ${proxy.upstream.baseUrl} answered ${response.status} (a redirect): not followed; set proxy.baseUrl to the address it means`, { details: { status: 502 } });
  }
  return { response, signal };
}

/**
 * Upstream errors keep their status and body: the caller's SDK raises the error it would have raised. An
 * error body goes through `clean` first: a server that echoes the key it was sent must not hand ours out.
 */
async function relay(proxy: ProxySettings, clean: (text: string) => string, res: ServerResponse, upstream: Response, extra: Record<string, string> = {}): Promise<void> {
  const read = await readUpstream(upstream, proxy.maxResponseBytes, proxy.upstream.baseUrl);
  const body = upstream.ok ? read : Buffer.from(clean(read.toString('utf8')));
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'content-length': String(body.length), ...extra });
  res.end(body);
}

/** The request as sent upstream: one nested too deeply to re-serialise is the caller's malformed request, a 400 before anything is paid. */
function forwardable(request: Json): string {
  return jsonText(request, (cause) => new RestyleError('input_invalid', 'body: nested too deeply to forward (no chat completion request nests that far)', { cause, details: { status: 400 } }));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
