/**
 * A fake Slack for tests and benches: a real HTTP server on 127.0.0.1:0 that speaks the Web API methods
 * restyle uses (give `url` to Bolt as `clientOptions.slackApiUrl` / SLACK_API_URL), serves response_urls,
 * records every call, and can inject latency, 429 + Retry-After, 500s, Slack errors and dropped
 * connections. Plus a signer that signs requests the way Slack does, request builders for commands,
 * interactions and events, and a Socket Mode server (WebSocket) for smoke tests.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** Arguments and bodies are whatever the client sent; tests read them loosely (`args.view.private_metadata`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SlackArgs = Record<string, any>;

export interface SlackCall {
  /** Order among calls and response_url posts. */
  seq: number;
  method: string;
  args: SlackArgs;
  token: string | undefined;
  at: number;
}

export interface ResponseUrlCall {
  seq: number;
  id: string;
  body: SlackArgs;
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  blocks?: unknown[];
  metadata?: unknown;
  /** Posted (or streamed) as `markdown_text`: Slack renders it as Markdown. */
  markdown?: boolean;
  /** Being streamed with chat.startStream/appendStream, not yet stopped. */
  streaming?: boolean;
}

export interface FakeSlackUser {
  id: string;
  name?: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
}

export type Failure =
  | { status: 429; retryAfter?: number }
  | { status: 500 | 502 | 503 }
  | { error: string }
  | { drop: true };

export type MethodHandler = (args: SlackArgs, call: SlackCall) => SlackArgs | Promise<SlackArgs>;

export interface FakeSlack {
  /** Web API base for Bolt (`…/api/`). */
  readonly url: string;
  readonly origin: string;
  readonly calls: SlackCall[];
  readonly responses: ResponseUrlCall[];
  readonly bot: { userId: string; botId: string; teamId: string; appId: string };
  callsTo(method: string): SlackCall[];
  /** A fresh response_url served by this server. */
  responseUrl(): string;
  setUser(user: FakeSlackUser): void;
  /** Put a message in a channel (as a person wrote it); returns its ts. */
  addMessage(message: Omit<StoredMessage, 'ts'> & { ts?: string }): string;
  messages(channel?: string): StoredMessage[];
  /** Fail the next `times` calls of `method` (`*` for any). */
  failNext(method: string, failure: Failure, times?: number): void;
  /** Drop every pending `failNext` failure (the API is back). */
  clearFailures(): void;
  /** Refuse the next `times` response_url POSTs with this status. */
  failResponses(status: number, times?: number): void;
  setLatency(ms: number, method?: string): void;
  /**
   * Hold every Web API and response_url answer (after any latency) until the returned function is called:
   * proves an acknowledgement did not wait for the API without timing it.
   */
  hold(): () => void;
  /** Delay before answering every response_url POST (ms); 0 (the default) answers at once. */
  setResponseLatency(ms: number): void;
  /** The bot token's scopes, sent as `x-oauth-scopes` like Slack does (default: the manifest's). */
  setScopes(scopes: string[]): void;
  /** Replace a method's behaviour. */
  handle(method: string, handler: MethodHandler): void;
  /** chat.startStream/appendStream/stopStream answer `{ok: false, error}` (a workspace without streaming); undefined serves them again. */
  refuseStreaming(error: string | undefined): void;
  startSocketMode(): Promise<FakeSocketMode>;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const responses: ResponseUrlCall[] = [];
  const users = new Map<string, FakeSlackUser>();
  const channels = new Map<string, StoredMessage[]>();
  const failures: Array<{ method: string; failure: Failure; left: number }> = [];
  const responseFailures: Array<{ status: number; left: number }> = [];
  const latency = new Map<string, number>();
  let responseLatency = 0;
  let held: Promise<void> | undefined;
  const overrides = new Map<string, MethodHandler>();
  const bot = { userId: 'UBOT', botId: 'BBOT', teamId: 'T0FAKE', appId: 'A0FAKE' };
  let tsCounter = 0;
  let seq = 0;
  let scopes = ['app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'chat:write', 'commands', 'reactions:read', 'users:read'];
  let socket: FakeSocketMode | undefined;
  let origin = '';
  let streamingRefusal: string | undefined;

  let lastMicros = 0;
  const nextTs = (): string => {
    tsCounter += 1;
    // As Slack's: the time of posting (seconds.microseconds), unique and increasing within the workspace.
    lastMicros = Math.max(lastMicros + 1, Date.now() * 1000);
    return `${Math.floor(lastMicros / 1_000_000)}.${String(lastMicros % 1_000_000).padStart(6, '0')}`;
  };
  const store = (m: StoredMessage): StoredMessage => {
    const list = channels.get(m.channel) ?? [];
    list.push(m);
    channels.set(m.channel, list);
    return m;
  };
  const find = (channel: string, ts: string): StoredMessage | undefined => channels.get(channel)?.find((m) => m.ts === ts);
  const inRange = (m: StoredMessage, args: SlackArgs): boolean => {
    const t = Number(m.ts);
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    if (args.oldest !== undefined && (inclusive ? t < Number(args.oldest) : t <= Number(args.oldest))) return false;
    if (args.latest !== undefined && (inclusive ? t > Number(args.latest) : t >= Number(args.latest))) return false;
    return true;
  };

  /**
   * One page of a message list, as Slack pages them (`limit`, `cursor` → `has_more`, `next_cursor`); message
   * metadata only with `include_all_metadata` (docs.slack.dev/reference/methods/conversations.history).
   */
  const page = (list: StoredMessage[], args: SlackArgs, defaultLimit: number) => {
    const from = Number(args.cursor ?? 0) || 0;
    const limit = Number(args.limit ?? defaultLimit);
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
    const messages = list.slice(from, from + limit).map(({ metadata, ...m }) => (withMetadata && metadata !== undefined ? { ...m, metadata } : m));
    const more = from + limit < list.length;
    return { messages, has_more: more, ...(more ? { response_metadata: { next_cursor: String(from + limit) } } : {}) };
  };

  const methods: Record<string, MethodHandler> = {
    'auth.test': () => ({ ok: true, url: 'https://fake.slack.com/', team: 'Fake', user: 'restyle', team_id: bot.teamId, user_id: bot.userId, bot_id: bot.botId }),
    'chat.postMessage': (args) => {
      if (!args.channel) return { ok: false, error: 'channel_not_found' };
      if (!args.text && !args.blocks && !args.markdown_text) return { ok: false, error: 'no_text' };
      const m = store({
        channel: args.channel,
        ts: nextTs(),
        text: args.text ?? args.markdown_text ?? '',
        ...(args.markdown_text ? { markdown: true } : {}),
        user: bot.userId,
        bot_id: bot.botId,
        ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
        ...(args.blocks ? { blocks: args.blocks } : {}),
        ...(args.metadata ? { metadata: args.metadata } : {}),
      });
      return { ok: true, channel: m.channel, ts: m.ts, message: m };
    },
    'chat.postEphemeral': (args) => (args.channel && args.user ? { ok: true, message_ts: nextTs() } : { ok: false, error: 'channel_not_found' }),
    'chat.update': (args) => {
      const m = find(args.channel, args.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      m.text = args.text ?? args.markdown_text ?? m.text;
      if (args.blocks) m.blocks = args.blocks;
      return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
    },
    'chat.delete': (args) => {
      const list = channels.get(args.channel) ?? [];
      const i = list.findIndex((m) => m.ts === args.ts);
      if (i < 0) return { ok: false, error: 'message_not_found' };
      list.splice(i, 1);
      return { ok: true, channel: args.channel, ts: args.ts };
    },
    // Slack's text streaming (docs.slack.dev/reference/methods/chat.startStream): in a thread, markdown_text
    // appended to one message until stopped.
    'chat.startStream': (args) => {
      if (streamingRefusal) return { ok: false, error: streamingRefusal };
      if (!args.channel) return { ok: false, error: 'channel_not_found' };
      if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
      const m = store({ channel: args.channel, ts: nextTs(), text: chunkText(args), user: bot.userId, bot_id: bot.botId, thread_ts: String(args.thread_ts), markdown: true, streaming: true });
      return { ok: true, channel: m.channel, ts: m.ts };
    },
    'chat.appendStream': (args) => {
      if (streamingRefusal) return { ok: false, error: streamingRefusal };
      const m = find(args.channel, args.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      if (!m.streaming) return { ok: false, error: 'message_not_in_streaming_state' };
      if (String(args.markdown_text ?? '').length > 12_000) return { ok: false, error: 'msg_too_long' };
      m.text += chunkText(args);
      return { ok: true, channel: m.channel, ts: m.ts };
    },
    'chat.stopStream': (args) => {
      if (streamingRefusal) return { ok: false, error: streamingRefusal };
      const m = find(args.channel, args.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      if (!m.streaming) return { ok: false, error: 'message_not_in_streaming_state' };
      m.text += chunkText(args);
      m.streaming = false;
      if (args.metadata) m.metadata = args.metadata;
      return { ok: true, channel: m.channel, ts: m.ts, message: m };
    },
    'assistant.threads.setStatus': (args) => (args.channel_id && args.thread_ts ? { ok: true } : { ok: false, error: 'invalid_arguments' }),
    'chat.scheduleMessage': (args) => ({ ok: true, channel: args.channel, scheduled_message_id: `Q${nextTs()}`, post_at: args.post_at }),
    'views.open': (args) => (args.trigger_id ? { ok: true, view: { id: `V${tsCounter}`, ...(typeof args.view === 'object' ? args.view : {}) } } : { ok: false, error: 'invalid_trigger_id' }),
    'reactions.add': (args) => (find(args.channel, args.timestamp) ? { ok: true } : { ok: false, error: 'message_not_found' }),
    'conversations.history': (args) => {
      const list = (channels.get(args.channel) ?? []).filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && inRange(m, args));
      const newestFirst = [...list].sort((a, b) => Number(b.ts) - Number(a.ts));
      return { ok: true, ...page(newestFirst, args, 100) };
    },
    'conversations.replies': (args) => {
      const m = find(args.channel, args.ts);
      if (!m) return { ok: false, error: 'thread_not_found' };
      const root = m.thread_ts ?? m.ts;
      const thread = (channels.get(args.channel) ?? []).filter((x) => x.ts === root || x.thread_ts === root);
      const sorted = thread.filter((x) => inRange(x, args)).sort((a, b) => Number(a.ts) - Number(b.ts));
      return { ok: true, ...page(sorted, args, 1000) };
    },
    'users.info': (args) => {
      const u = users.get(args.user) ?? { id: args.user, name: String(args.user).toLowerCase() };
      return { ok: true, user: { is_admin: false, is_owner: false, is_primary_owner: false, is_bot: false, ...u } };
    },
    'apps.connections.open': (_args, call) => {
      if (!call.token?.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
      if (!socket) return { ok: false, error: 'socket_mode_not_started' };
      return { ok: true, url: socket.url };
    },
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const raw = await readBody(req);
    if (path.startsWith('/response/')) {
      const id = path.slice('/response/'.length);
      const body = raw ? (JSON.parse(raw) as SlackArgs) : {};
      if (responseLatency > 0) await new Promise((r) => setTimeout(r, responseLatency));
      if (held) await held;
      const f = responseFailures[0];
      if (f) {
        if (--f.left <= 0) responseFailures.shift();
        res.writeHead(f.status, { 'content-type': 'text/plain' }).end('refused');
        return;
      }
      responses.push({ seq: ++seq, id, body, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const m = /^\/api\/([\w.]+)$/.exec(path);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const method = m[1]!;
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const args = parseArgs(raw, String(req.headers['content-type'] ?? ''));
    const call: SlackCall = { seq: ++seq, method, args, token: auth ?? (typeof args.token === 'string' ? args.token : undefined), at: Date.now() };
    calls.push(call);
    const delay = latency.get(method) ?? latency.get('*') ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (held) await held;
    const fi = failures.findIndex((f) => f.method === method || f.method === '*');
    if (fi >= 0) {
      const f = failures[fi]!;
      if (--f.left <= 0) failures.splice(fi, 1);
      const failure = f.failure;
      if ('drop' in failure) {
        req.socket.destroy();
        return;
      }
      if ('error' in failure) return json(res, 200, { ok: false, error: failure.error });
      if (failure.status === 429) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(failure.retryAfter ?? 1) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      return json(res, failure.status, { ok: false, error: 'fatal_error' });
    }
    if (!call.token) return json(res, 200, { ok: false, error: 'not_authed' });
    const handler = overrides.get(method) ?? methods[method];
    if (!handler) return json(res, 200, { ok: false, error: 'unknown_method' });
    json(res, 200, await handler(args, call), { 'x-oauth-scopes': scopes.join(',') });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    responses,
    bot,
    callsTo: (method) => calls.filter((c) => c.method === method),
    responseUrl: () => `${origin}/response/${randomBytes(6).toString('hex')}`,
    setUser: (user) => void users.set(user.id, user),
    addMessage(message) {
      const ts = message.ts ?? nextTs();
      store({ ...message, ts });
      return ts;
    },
    messages: (channel) => (channel ? [...(channels.get(channel) ?? [])] : [...channels.values()].flat()),
    failNext: (method, failure, times = 1) => void failures.push({ method, failure, left: times }),
    clearFailures: () => void failures.splice(0),
    failResponses: (status, times = 1) => void responseFailures.push({ status, left: times }),
    setLatency: (ms, method = '*') => void latency.set(method, ms),
    setResponseLatency: (ms) => void (responseLatency = ms),
    hold: () => {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return () => {
        held = undefined;
        release();
      };
    },
    setScopes: (next) => void (scopes = [...next]),
    handle: (method, handler) => void overrides.set(method, handler),
    refuseStreaming: (error) => void (streamingRefusal = error),
    async startSocketMode() {
      socket ??= await startFakeSocketMode();
      return socket;
    },
    async close() {
      await socket?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The text a streaming call adds: `markdown_text`, or its `markdown_text` chunks. */
function chunkText(args: SlackArgs): string {
  const chunks = Array.isArray(args.chunks) ? (args.chunks as Array<{ type?: string; text?: string }>) : [];
  return String(args.markdown_text ?? '') + chunks.filter((c) => c.type === 'markdown_text').map((c) => c.text ?? '').join('');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The Web API client sends forms whose object fields (blocks, metadata, view) are JSON strings. */
function parseArgs(raw: string, contentType: string): SlackArgs {
  if (!raw) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as SlackArgs;
  const out: SlackArgs = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // a string that merely starts with a bracket
      }
    }
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Signing and request builders

export interface SignOptions {
  /** Unix seconds; default now. */
  timestamp?: number;
}

/** Slack's request signature: `v0=` + HMAC-SHA256(secret, `v0:<timestamp>:<raw body>`). */
export function signSlackRequest(secret: string, body: string, options: SignOptions = {}): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

export interface SendOptions extends SignOptions {
  secret: string;
  /** Override the computed signature (bad-signature tests). */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
}

export interface SignedRequest {
  body: string;
  contentType: string;
}

/** POST a signed request to a Bolt endpoint the way Slack would. */
export async function sendSigned(url: string, request: SignedRequest, options: SendOptions): Promise<{ status: number; body: string; ms: number }> {
  const headers: Record<string, string> = { 'content-type': request.contentType, ...signSlackRequest(options.secret, request.body, options) };
  if (options.signature !== undefined) headers['x-slack-signature'] = options.signature;
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
  }
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: request.body });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

const TEAM = { id: 'T0FAKE', domain: 'fake' };

/** A slash command as Slack POSTs it (form-encoded). */
export function commandRequest(fields: { command?: string; text: string; user: string; channel: string; responseUrl: string; triggerId?: string }): SignedRequest {
  const body = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: fields.channel,
    channel_name: fields.channel.toLowerCase(),
    user_id: fields.user,
    user_name: fields.user.toLowerCase(),
    command: fields.command ?? '/restyle',
    text: fields.text,
    api_app_id: 'A0FAKE',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? `trigger.${randomBytes(4).toString('hex')}`,
  }).toString();
  return { body, contentType: 'application/x-www-form-urlencoded' };
}

/** An interactivity payload (block_actions, view_submission, message_action) as Slack POSTs it. */
export function interactionRequest(payload: Record<string, unknown>): SignedRequest {
  return { body: new URLSearchParams({ payload: JSON.stringify({ team: TEAM, api_app_id: 'A0FAKE', token: 'legacy-verification-token', ...payload }) }).toString(), contentType: 'application/x-www-form-urlencoded' };
}

export function buttonPayload(fields: { actionId: string; value: string; user: string; channel: string; responseUrl: string; triggerId?: string; threadTs?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: fields.user, username: fields.user.toLowerCase(), team_id: TEAM.id },
    container: { type: 'message', message_ts: '1.0', channel_id: fields.channel, is_ephemeral: true, ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}) },
    channel: { id: fields.channel, name: fields.channel.toLowerCase() },
    trigger_id: fields.triggerId ?? `trigger.${randomBytes(4).toString('hex')}`,
    response_url: fields.responseUrl,
    actions: [{ type: 'button', action_id: fields.actionId, block_id: 'b', value: fields.value, action_ts: '1.0', text: { type: 'plain_text', text: fields.actionId } }],
  };
}

export function viewSubmissionPayload(fields: { callbackId: string; user: string; privateMetadata: string; values: Record<string, Record<string, { type: string; value: string }>> }): Record<string, unknown> {
  return {
    type: 'view_submission',
    user: { id: fields.user, username: fields.user.toLowerCase(), team_id: TEAM.id },
    trigger_id: `trigger.${randomBytes(4).toString('hex')}`,
    view: {
      id: 'V0FAKE',
      type: 'modal',
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      state: { values: fields.values },
      hash: 'h',
      team_id: TEAM.id,
      app_id: 'A0FAKE',
      bot_id: 'BBOT',
    },
  };
}

export function messageShortcutPayload(fields: { callbackId: string; user: string; channel: string; message: { ts: string; text: string; user?: string; thread_ts?: string }; responseUrl: string }): Record<string, unknown> {
  return {
    type: 'message_action',
    callback_id: fields.callbackId,
    trigger_id: `trigger.${randomBytes(4).toString('hex')}`,
    message_ts: fields.message.ts,
    response_url: fields.responseUrl,
    message: { type: 'message', ...fields.message },
    user: { id: fields.user, name: fields.user.toLowerCase(), team_id: TEAM.id },
    channel: { id: fields.channel, name: fields.channel.toLowerCase() },
    action_ts: '1.0',
  };
}

let eventCounter = 0;

/** An Events API callback wrapping `event` (JSON); `eventId` is what Slack repeats on retries. */
export function eventRequest(event: Record<string, unknown>, eventId?: string): SignedRequest & { eventId: string } {
  eventCounter += 1;
  const id = eventId ?? `Ev${Date.now().toString(36)}${eventCounter}`;
  const body = JSON.stringify(eventEnvelope(event, id));
  return { body, contentType: 'application/json', eventId: id };
}

export function eventEnvelope(event: Record<string, unknown>, eventId: string): Record<string, unknown> {
  return {
    token: 'legacy-verification-token',
    team_id: TEAM.id,
    api_app_id: 'A0FAKE',
    event: { event_ts: String(Date.now() / 1000), ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM.id, user_id: 'UBOT', is_bot: true }],
  };
}

// ---------------------------------------------------------------------------------------------------
// Socket Mode

export interface SocketEnvelope {
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: Record<string, unknown>;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface FakeSocketMode {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Resolves when a client has connected and been sent `hello`. */
  connected(): Promise<void>;
  /** Send an envelope; resolves with the client's ack (`{envelope_id, payload?}`). */
  send(envelope: SocketEnvelope): Promise<{ envelope_id: string; payload?: unknown }>;
  close(): Promise<void>;
}

/** Slack's Socket Mode server: `hello` on connect, envelopes out, acks in. */
export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  let current: WebSocket | undefined;
  let connections = 0;
  const waiters: Array<() => void> = [];
  const pending = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  wss.on('connection', (ws) => {
    connections += 1;
    current = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (msg.envelope_id) {
        pending.get(msg.envelope_id)?.({ envelope_id: msg.envelope_id, ...(msg.payload !== undefined ? { payload: msg.payload } : {}) });
        pending.delete(msg.envelope_id);
      }
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0FAKE' } }));
    for (const w of waiters.splice(0)) w();
  });
  return {
    url: `ws://127.0.0.1:${port}/link/?ticket=fake`,
    get connections() {
      return connections;
    },
    connected: () => (current ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    send(envelope) {
      if (!current) return Promise.reject(new Error('no Socket Mode client connected'));
      const envelope_id = randomBytes(8).toString('hex');
      const acked = new Promise<{ envelope_id: string; payload?: unknown }>((resolve) => pending.set(envelope_id, resolve));
      current.send(JSON.stringify({ envelope_id, accepts_response_payload: envelope.type !== 'events_api', ...envelope }));
      return acked;
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
