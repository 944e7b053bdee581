/**
 * The one place that turns what the openai SDK throws into a `RestyleError`, and decides whether and
 * when to retry. Messages name the endpoint, the model and the variable holding the key, never the key.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { RestyleError, type ErrorCode } from '../errors.js';

/** What the mapping needs to write a useful message. */
export interface LlmErrorContext {
  baseUrl: string;
  /** The variable the key comes from (`OPENAI_API_KEY` or a style's `apiKeyEnv`). */
  apiKeyEnv: string;
  /** The key itself, only so it can be scrubbed from server messages that echo it. */
  apiKey?: string;
  model?: string;
  /** The caller's signal: when it has fired, the error is the caller's deadline, whatever the SDK threw. */
  signal?: AbortSignal;
  /** Our per-attempt timeout: when it has fired, the error is `llm_timeout`. */
  timeout?: { signal: AbortSignal; ms: number };
}

/** A Retry-After longer than this is not waited out: the caller gets `llm_rate_limited` at once. */
export const MAX_RETRY_AFTER_MS = 60_000;
const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;
const MAX_SERVER_MESSAGE = 300;

export function toLlmError(error: unknown, ctx: LlmErrorContext): RestyleError {
  if (ctx.signal?.aborted) {
    return new RestyleError('deadline_exceeded', `${ctx.baseUrl}: request${forModel(ctx)} aborted by the caller's deadline`, {
      cause: ctx.signal.reason ?? error,
      details: base(ctx),
    });
  }
  if (error instanceof RestyleError) return error;
  if (ctx.timeout?.signal.aborted || error instanceof APIConnectionTimeoutError) {
    const ms = ctx.timeout?.ms;
    return new RestyleError('llm_timeout', `${ctx.baseUrl}: no answer${forModel(ctx)}${ms === undefined ? '' : ` within ${ms} ms`}`, {
      cause: error,
      details: { ...base(ctx), timeoutMs: ms },
      retryable: true,
    });
  }
  if (error instanceof APIUserAbortError || isAbortError(error)) {
    // An abort neither the caller's signal nor our timeout explains (a signal the SDK made itself).
    return new RestyleError('deadline_exceeded', `${ctx.baseUrl}: request${forModel(ctx)} aborted`, { cause: error, details: base(ctx) });
  }
  if (error instanceof APIConnectionError) {
    const why = describeCause(error);
    return new RestyleError('llm_unavailable', `${ctx.baseUrl}: could not reach the endpoint${why ? ` (${scrub(why, ctx)})` : ''}`, {
      cause: error,
      details: base(ctx),
      retryable: true,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') return fromStatus(error, error.status, ctx);
  if (error instanceof APIError) {
    // An error event inside a stream: no status, but the server's own message.
    return new RestyleError('llm_error', `${ctx.baseUrl}: ${scrub(serverMessage(error), ctx)}`, { cause: error, details: { ...base(ctx), code: error.code ?? undefined } });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RestyleError('llm_error', `${ctx.baseUrl}: ${scrub(message, ctx)}`, { cause: error, details: base(ctx) });
}

function fromStatus(error: APIError, status: number, ctx: LlmErrorContext): RestyleError {
  const headers = error.headers;
  const details: Record<string, unknown> = { ...base(ctx), status, code: error.code ?? undefined, requestId: error.requestID ?? undefined };
  const said = scrub(serverMessage(error), ctx);
  const make = (code: ErrorCode, message: string, retryable = false, extra: Record<string, unknown> = {}): RestyleError =>
    new RestyleError(code, message, { cause: error, details: clean({ ...details, ...extra }), retryable: serverSaysRetry(headers) ?? retryable });

  if (status === 401 || error instanceof AuthenticationError) {
    // No cause and no server text: servers echo (parts of) the refused key in 401 bodies.
    return new RestyleError('llm_auth', `the key in ${ctx.apiKeyEnv} was refused by ${ctx.baseUrl} (401): check it, or set ${ctx.apiKeyEnv} to a valid key`, {
      details: clean({ ...details, variable: ctx.apiKeyEnv }),
    });
  }
  if (status === 429 || error instanceof RateLimitError) {
    if (error.code === 'insufficient_quota' || error.type === 'insufficient_quota') {
      return make('quota_exceeded', `${ctx.baseUrl}: quota exceeded for the key in ${ctx.apiKeyEnv}: check the plan and billing (${said})`);
    }
    const retryAfterMs = parseRetryAfter(headers);
    const after = retryAfterMs === undefined ? '' : `; retry after ${retryAfterMs} ms`;
    return make('llm_rate_limited', `${ctx.baseUrl}: rate limited${forModel(ctx)} (429)${after}`, true, { retryAfterMs });
  }
  if (status === 403 || error instanceof PermissionDeniedError) {
    if (error.code === 'training_not_available') {
      return make('training_not_available', `${ctx.baseUrl}: fine-tuning is not available for this account (403 training_not_available): ${said}`);
    }
    return make('llm_forbidden', `the key in ${ctx.apiKeyEnv} may not use ${ctx.model ? `model "${ctx.model}"` : 'this resource'} at ${ctx.baseUrl} (403): ${said}`);
  }
  if (status === 404 || error instanceof NotFoundError) {
    if (ctx.model) return make('model_not_found', `model "${ctx.model}" was not found at ${ctx.baseUrl} (404): ${said}`);
    return make('not_found', `${ctx.baseUrl}: not found (404): ${said}`);
  }
  if (status === 400 || status === 422 || error instanceof BadRequestError || error instanceof UnprocessableEntityError) {
    return make('llm_bad_request', `${ctx.baseUrl} rejected the request${forModel(ctx)} (${status}): ${said}`);
  }
  if (status === 408) return make('llm_timeout', `${ctx.baseUrl}: request timed out${forModel(ctx)} (408)`, true);
  // 409 is a lock timeout at OpenAI; openai-node retries it too.
  if (status === 409) return make('llm_unavailable', `${ctx.baseUrl}: conflict (409), try again: ${said}`, true);
  if (status >= 500 || error instanceof InternalServerError) {
    return make('llm_unavailable', `${ctx.baseUrl}: server error ${status}${forModel(ctx)}: ${said}`, true);
  }
  return make('llm_error', `${ctx.baseUrl}: unexpected ${status}${forModel(ctx)}: ${said}`);
}

/** Whether another attempt may succeed (the error's own verdict; the attempt budget is the caller's). */
export function shouldRetry(error: unknown): boolean {
  if (!(error instanceof RestyleError) || !error.retryable) return false;
  const after = error.details.retryAfterMs;
  return !(typeof after === 'number' && after > MAX_RETRY_AFTER_MS);
}

/**
 * How long to wait before retry number `attempt` (1 = the first retry): the server's Retry-After when it
 * gave one, else exponential from 500 ms, capped at 8 s, with up to 25% jitter so callers that failed
 * together do not retry together.
 */
export function backoffMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const exp = Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
  return Math.round(exp * (1 - random() * 0.25));
}

/** `retry-after-ms` (ms), else `retry-after` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms) {
    const n = Number.parseFloat(ms);
    if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  }
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after.trim());
  if (after.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** `x-should-retry` is how OpenAI overrides the status-based verdict (openai-node honours it too). */
function serverSaysRetry(headers: Headers | undefined): boolean | undefined {
  const v = headers?.get('x-should-retry');
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

function serverMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' && body.message ? body.message : error.message;
  return text.length > MAX_SERVER_MESSAGE ? `${text.slice(0, MAX_SERVER_MESSAGE)}…` : text;
}

function describeCause(error: Error): string {
  const cause = error.cause as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = cause?.cause?.code ?? cause?.code;
  const message = cause?.cause?.message ?? cause?.message;
  return [typeof code === 'string' ? code : '', typeof message === 'string' ? message : ''].filter(Boolean).join(': ');
}

function scrub(text: string, ctx: LlmErrorContext): string {
  return ctx.apiKey && ctx.apiKey.length >= 4 ? text.split(ctx.apiKey).join('[redacted]') : text;
}

function forModel(ctx: LlmErrorContext): string {
  return ctx.model ? ` for model "${ctx.model}"` : '';
}

function base(ctx: LlmErrorContext): Record<string, unknown> {
  return clean({ baseUrl: ctx.baseUrl, model: ctx.model });
}

function clean(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
