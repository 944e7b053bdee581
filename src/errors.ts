/**
 * One error type for everything restyle reports, with a stable `code` callers switch on
 * (modelled on openai-node's error hierarchy, flattened: the code carries the kind).
 */
export type ErrorCode =
  // usage and configuration: the user must change something (exit 2)
  | 'usage'
  | 'config_invalid'
  | 'config_not_found'
  | 'style_unknown'
  | 'param_missing'
  | 'text_too_long'
  | 'input_invalid'
  | 'env_missing'
  // the model endpoint
  | 'llm_timeout'
  | 'llm_rate_limited'
  | 'llm_unavailable'
  | 'llm_auth'
  | 'llm_forbidden'
  | 'llm_bad_request'
  | 'model_not_found'
  | 'llm_error'
  | 'deadline_exceeded'
  | 'overloaded' // the style model's queue could not finish within the deadline: not queued at all
  // storage
  | 'store_unavailable'
  | 'store_error'
  // chat platforms (posting through Slack or Discord)
  | 'platform_unavailable' // not running in this process, or not answering / rate limiting: retry later
  | 'platform_refused' // the platform refused this post (unknown channel, bot not in it, no permission…)
  | 'platform_error' // the platform refused our credentials or failed in a way the caller cannot fix
  // idempotent requests (Idempotency-Key)
  | 'idempotency_in_progress'
  | 'idempotency_mismatch'
  // files, chat and the rest
  | 'file_not_found'
  | 'file_invalid'
  | 'not_found'
  | 'permission_denied'
  | 'training_not_available'
  | 'quota_exceeded'
  | 'rate_limited' // a per-caller limit of ours (rateLimits): retry after the time given
  | 'conflict'
  | 'internal';

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'usage',
  'config_invalid',
  'config_not_found',
  'style_unknown',
  'param_missing',
  'text_too_long',
  'input_invalid',
  'env_missing',
  'file_not_found',
  'file_invalid',
]);

export interface RestyleErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts (status, retryAfterMs, field…). Never secrets. */
  details?: Record<string, unknown>;
  /** Whether retrying the same call may succeed. */
  retryable?: boolean;
}

export class RestyleError extends Error {
  override readonly name = 'RestyleError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: RestyleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  /** Usage and configuration problems exit 2, runtime failures exit 1 (the CLI contract). */
  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isRestyleError(error: unknown, code?: ErrorCode): error is RestyleError {
  return error instanceof RestyleError && (code === undefined || error.code === code);
}

/** Wrap anything thrown into a RestyleError without losing the original as `cause`. */
export function toRestyleError(error: unknown, fallback: ErrorCode = 'internal'): RestyleError {
  if (error instanceof RestyleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RestyleError(fallback, message, { cause: error });
}
