import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { AppContext } from '../../src/app.js';
import type { HttpMount } from '../../src/bot/platform.js';
import { RestyleError, toRestyleError, type ErrorCode } from '../../src/errors.js';
import { isLoopback, routeAccess } from './access.js';
import { readJson, requiredString } from './body.js';
import { sendRestyleStream } from './restyle-stream.js';
import { postRoute, type PlatformSlot, type PostCheck, type Poster } from './post.js';
import { proxyRoutes } from './proxy.js';
import { proxyTokenOf } from './proxy-token.js';
import { jsonText } from '../../src/util/json-text.js';
import { apiRateLimit } from './rate-limit.js';
import { listenOn } from './listen-on.js';
import type { OpenPort } from '../../src/cli/commands/bot.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  ctx: AppContext;
  /** Largest accepted JSON body. */
  bodyLimit?: number;
  /** A port opened early (adapters/http/open-starting-port.ts): `listen` takes it over instead of binding. */
  opened?: OpenPort;
}

export interface HttpServer extends HttpMount {
  readonly server: Server;
  /** Add a readiness check for `GET /readyz` (the store is always checked). */
  addReadiness(name: string, check: () => boolean | Promise<boolean>): void;
  route(method: string, path: string, handler: Handler): void;
  /** Let `POST /v1/post` reach a running platform: channels `<platform>:…` are checked with `check` (before the model runs), then posted with `post`. */
  addPoster(platform: string, post: Poster, check?: PostCheck): void;
  /**
   * Why `<platform>:` channels cannot be posted to from this process (`POST /v1/post` answers 503 with it).
   * `nowhere`: no process can (the platform is off in a process that runs every role), so a post is refused at
   * once instead of being queued for a jobs process elsewhere.
   */
  posterUnavailable(platform: string, reason: string, options?: { nowhere?: boolean }): void;
  listen(port: number, host?: string): Promise<number>;
  /**
   * For a process without the `web` role (`--health-port`): `/healthz`, `/readyz` and `/metrics` alone on
   * their own port, for an orchestrator's probes; the API and the platforms' endpoints are not served there.
   */
  listenHealth(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** The routes a health-only port serves. */
const HEALTH_ROUTES = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

const restyleBody = z
  .object({
    text: requiredString('a string'),
    style: z.string().min(1).optional(),
    channel: z.string().min(1).optional(),
    params: z.record(z.string(), z.string()).optional(),
    from: z.string().min(1).optional(),
    onError: z.enum(['original', 'error']).optional(),
    stream: z.boolean().optional(),
  })
  .strict();

/** HTTP status for each error code the API can return. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  usage: 400,
  input_invalid: 400,
  style_unknown: 400,
  param_missing: 400,
  text_too_long: 413,
  permission_denied: 403,
  not_found: 404,
  llm_timeout: 504,
  deadline_exceeded: 504,
  llm_rate_limited: 503,
  llm_unavailable: 502,
  model_not_found: 502,
  llm_auth: 502,
  store_unavailable: 503,
  env_missing: 500,
  platform_unavailable: 503,
  platform_refused: 422,
  platform_error: 502,
  idempotency_in_progress: 409,
  idempotency_mismatch: 422,
  rate_limited: 429,
  overloaded: 503,
};

/**
 * A request body not read to its end. `req.complete` alone is false for a bodiless GET too while its handler
 * runs; only a request that announced a body can have one left.
 */
function unreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** What a model endpoint's failure is to our caller: a bad gateway, whatever the endpoint answered us. */
const MODEL_CODES = new Set<ErrorCode>(['llm_timeout', 'llm_rate_limited', 'llm_unavailable', 'llm_auth', 'llm_forbidden', 'llm_bad_request', 'model_not_found', 'llm_error', 'quota_exceeded']);

/**
 * The error's own status (a caller's 400, a platform's 422), or the code's. Not a model endpoint's status: its
 * 401 means our key was refused, not the caller's token, and its 500 is not a fault of ours.
 */
function statusOf(e: RestyleError): number {
  if (MODEL_CODES.has(e.code)) return STATUS[e.code] ?? 502;
  return Number(e.details.status) || STATUS[e.code] || 500;
}

/** Retry-After in seconds, from our own limits (`retryAfter`, s) or a model endpoint's (`retryAfterMs`). */
function retryAfterOf(e: RestyleError): Record<string, string> {
  if (e.details.retryAfter !== undefined) return { 'retry-after': String(e.details.retryAfter) };
  const ms = Number(e.details.retryAfterMs);
  return Number.isFinite(ms) && ms > 0 ? { 'retry-after': String(Math.ceil(ms / 1000)) } : {};
}

export { isLoopback } from './access.js';

type Routes = Map<string, Handler>;
type Mounts = Array<{ prefix: string; handler: Handler }>;
type Readiness = Map<string, () => boolean | Promise<boolean>>;

/**
 * restyle's HTTP API (`POST /v1/restyle`, `POST /v1/post`, the proxy, `GET /healthz`) on plain node:http, with
 * room for platforms to mount their own endpoints (Slack's `/slack/events`) on the same port.
 */
export function createHttpServer({ ctx, bodyLimit = 256 * 1024, opened }: HttpServerOptions): HttpServer {
  const routes: Routes = new Map();
  const mounts: Mounts = [];
  const platforms = new Map<string, PlatformSlot>();
  const readiness: Readiness = new Map([['store', async () => (await ctx.store.ping(), true)]]);
  const auth = apiAuth(ctx.settings.http.apiToken);
  const access = routeAccess(ctx.settings);
  addRoutes(routes, { ctx, bodyLimit, platforms, readiness, access, requireAuth: auth.require });
  const handle = dispatcher(ctx, routes, mounts, auth, access);
  const server = opened?.server ?? createServer(handle);
  let health: Server | undefined;
  server.requestTimeout = 120_000;

  return {
    server,
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    addReadiness(name, check) {
      readiness.set(name, check);
    },
    addPoster(platform, post, check) {
      platforms.set(platform, { post, ...(check ? { check } : {}) });
    },
    posterUnavailable(platform, reason, options) {
      platforms.set(platform, { unavailable: reason, ...(options?.nowhere ? { nowhere: true } : {}) });
    },
    mount(prefix, handler) {
      mounts.push({ prefix, handler });
    },
    listen(port, host) {
      if (!opened) return listenOn(server, port, host);
      opened.handOver(handle);
      return Promise.resolve(opened.port);
    },
    listenHealth(port, host) {
      health = createServer(dispatcher(ctx, new Map([...routes].filter(([key]) => HEALTH_ROUTES.has(key))), [], auth, access));
      return listenOn(health, port, host);
    },
    async close() {
      const closing = (srv: Server): Promise<void> =>
        new Promise((resolve) => {
          srv.close(() => resolve());
          srv.closeIdleConnections();
        });
      await Promise.all([closing(server), ...(health ? [closing(health)] : [])]);
    },
  };
}

interface ApiAuth {
  /** The bearer token matches RESTYLE_API_TOKEN (constant time); without one set, the caller is on this machine. */
  authorized(req: IncomingMessage): boolean;
  /** Throws 401 unless `authorized`. */
  require(req: IncomingMessage): void;
  token: string | undefined;
}

function apiAuth(token: string | undefined): ApiAuth {
  const authorized = (req: IncomingMessage): boolean => {
    // Without a token the API is for this machine only: an open /v1/post would let anyone post as the bot.
    if (!token) return isLoopback(req.socket.remoteAddress);
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  return {
    token,
    authorized,
    require(req) {
      if (authorized(req)) return;
      const why = token ? 'missing or wrong bearer token (RESTYLE_API_TOKEN)' : 'RESTYLE_API_TOKEN is not set, so the API answers only on this machine (127.0.0.1); set it to call from elsewhere';
      throw new RestyleError('permission_denied', why, { details: { status: 401 } });
    },
  };
}

interface RouteDeps {
  ctx: AppContext;
  bodyLimit: number;
  platforms: Map<string, PlatformSlot>;
  readiness: Readiness;
  access: ReturnType<typeof routeAccess>;
  requireAuth(req: IncomingMessage): void;
}

/** restyle's own routes: health, readiness, metrics, and the `/v1` API. */
function addRoutes(routes: Routes, { ctx, bodyLimit, platforms, readiness, access, requireAuth }: RouteDeps): void {
  routes.set('GET /healthz', (_req, res) => sendJson(res, 200, { ok: true }));
  routes.set('GET /readyz', async (req, res) => {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of readiness) checks[name] = await Promise.resolve().then(check).catch(() => false);
    const ready = Object.values(checks).every(Boolean);
    sendJson(res, ready ? 200 : 503, access.detailsAllowed(req) ? { ready, checks } : { ready });
  });
  routes.set('GET /metrics', async (_req, res) => {
    const { contentType, body } = await ctx.metrics.render();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
  });
  routes.set('POST /v1/restyle', async (req, res) => {
    requireAuth(req);
    const parsed = restyleBody.safeParse(await readJson(req, bodyLimit));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RestyleError('input_invalid', `${issue.path.join('.') || 'body'}: ${issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message}`, {
        details: { status: 400 },
      });
    }
    const { text, stream, ...options } = parsed.data;
    if (stream) return sendRestyleStream(ctx, req, res, text, options);
    sendJson(res, 200, await ctx.restyler.restyle(text, options));
  });
  routes.set('POST /v1/post', postRoute({ ctx, bodyLimit, authorize: requireAuth, platform: (name) => platforms.get(name), send: sendJson }));
  const proxy = proxyRoutes({ ctx, authorize: requireAuth, send: sendJson });
  routes.set('POST /v1/chat/completions', proxy.completions);
  routes.set('GET /v1/models', proxy.models);
}

/**
 * Every request: a request id, the route or a platform's mount, access rules and `/v1` rate limits for our
 * own routes, and errors as JSON `{error: {code, message}}` with the status their code maps to.
 */
function dispatcher(ctx: AppContext, routes: Routes, mounts: Mounts, auth: ApiAuth, access: ReturnType<typeof routeAccess>): (req: IncomingMessage, res: ServerResponse) => void {
  // Each app with a proxy token is its own caller: requests without one (refused or not) count against their
  // address only, so they cannot use up an app's budget behind a shared load balancer address.
  const limitApi = apiRateLimit(ctx, (req) => {
    if (auth.token && auth.authorized(req)) return 'token';
    const app = proxyTokenOf(ctx.settings.proxy.tokens, req);
    return app ? `proxy:${app.variable}` : `address:${req.socket.remoteAddress ?? ''}`;
  });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    // A request id for every request: the caller's, or a new one; echoed back and put on error logs.
    const requestId = /^[\w.-]{1,64}$/.test(String(req.headers['x-request-id'] ?? '')) ? String(req.headers['x-request-id']) : randomUUID();
    res.setHeader('x-request-id', requestId);
    const known = routes.has(`${req.method} ${path}`);
    const mount = known ? undefined : mounts.find((m) => path.startsWith(m.prefix));
    res.once('finish', () => ctx.metrics.httpRequests.inc({ route: known ? path : (mount?.prefix ?? 'other'), status: String(res.statusCode) }));
    const handler = routes.get(`${req.method} ${path}`) ?? mount?.handler;
    if (!handler) {
      const other = [...routes.keys()].some((k) => k.endsWith(` ${path}`));
      if (unreadBody(req)) res.setHeader('connection', 'close');
      sendError(res, other ? 405 : 404, other ? 'method_not_allowed' : 'not_found', other ? `${req.method} is not allowed on ${path}` : `no route ${req.method} ${path}`);
      return;
    }
    Promise.resolve()
      .then(async () => {
        if (known) access.check(req, path);
        if (known && path.startsWith('/v1/')) await limitApi(req);
        return handler(req, res);
      })
      .catch((error: unknown) => {
        const e = toRestyleError(error);
        const status = statusOf(e);
        if (status >= 500) ctx.logger.error({ code: e.code, path, requestId }, e.message);
        // Refused before its body was read (401, 403, 413, 429…): close the connection rather than keep it
        // open to drain a body nobody wants, which a slow or hostile sender could make last minutes.
        const closing: Record<string, string> = unreadBody(req) ? { connection: 'close' } : {};
        if (!res.headersSent) sendJson(res, status, { error: { code: e.code, message: e.message } }, { ...retryAfterOf(e), ...closing });
        else res.end();
      });
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // Only an upstream's answer (through the proxy) can nest that far here.
  const text = jsonText(body, (cause) => new RestyleError('llm_error', 'the answer is nested too deeply to send on (an upstream answered it so)', { cause }));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}
