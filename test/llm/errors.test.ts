import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { MAX_RETRY_AFTER_MS, backoffMs, parseRetryAfter, shouldRetry, toLlmError, type LlmErrorContext } from '../../src/llm/errors.js';

const ctx: LlmErrorContext = { baseUrl: 'http://llm.test/v1', apiKeyEnv: 'PIRATE_KEY', apiKey: 'sk-secret-value-123', model: 'ft:pirate' };

/** What the SDK throws for an HTTP error (built the way the SDK builds it). */
const statusError = (status: number, error: Record<string, unknown> = {}, headers: Record<string, string> = {}): APIError =>
  APIError.generate(status, { error: { message: 'server says no', ...error } }, undefined, new Headers(headers));

describe('parseRetryAfter', () => {
  it('reads retry-after-ms, then retry-after as seconds or an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }))).toBe(500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now)).toBe(7000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('honours Retry-After, capped', () => {
    expect(backoffMs(1, 1200)).toBe(1200);
    expect(backoffMs(3, 0)).toBe(0);
    expect(backoffMs(1, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('grows exponentially with at most 25% jitter, capped at 8 s', () => {
    expect(backoffMs(1, undefined, () => 0)).toBe(500);
    expect(backoffMs(2, undefined, () => 0)).toBe(1000);
    expect(backoffMs(3, undefined, () => 0.999)).toBeGreaterThanOrEqual(1500);
    expect(backoffMs(3, undefined, () => 0.999)).toBeLessThan(2000);
    expect(backoffMs(20, undefined, () => 0)).toBe(8000);
  });
});

describe('toLlmError', () => {
  it('maps statuses to codes, with retryability', () => {
    const cases: Array<[APIError, string, boolean]> = [
      [statusError(429, {}, { 'retry-after': '3' }), 'llm_rate_limited', true],
      [statusError(429, { code: 'insufficient_quota', type: 'insufficient_quota' }), 'quota_exceeded', false],
      [statusError(500), 'llm_unavailable', true],
      [statusError(503), 'llm_unavailable', true],
      [statusError(403, { code: 'training_not_available' }), 'training_not_available', false],
      [statusError(403), 'llm_forbidden', false],
      [statusError(404), 'model_not_found', false],
      [statusError(400), 'llm_bad_request', false],
      [statusError(422), 'llm_bad_request', false],
      [statusError(408), 'llm_timeout', true],
      [new APIConnectionTimeoutError(), 'llm_timeout', true],
      [new APIConnectionError({ message: 'Connection error.', cause: new Error('socket hang up') }), 'llm_unavailable', true],
    ];
    for (const [error, code, retryable] of cases) {
      const mapped = toLlmError(error, ctx);
      expect({ status: error.status, code: mapped.code, retryable: mapped.retryable }).toEqual({ status: error.status, code, retryable });
      expect(shouldRetry(mapped)).toBe(retryable);
    }
  });

  it('puts the Retry-After in details, and refuses to wait out a very long one', () => {
    const mapped = toLlmError(statusError(429, {}, { 'retry-after': '3' }), ctx);
    expect(mapped.details).toMatchObject({ status: 429, retryAfterMs: 3000, model: 'ft:pirate', baseUrl: ctx.baseUrl });
    const long = toLlmError(statusError(429, {}, { 'retry-after': '3600' }), ctx);
    expect(long.code).toBe('llm_rate_limited');
    expect(shouldRetry(long)).toBe(false);
  });

  it('x-should-retry overrides the status verdict', () => {
    expect(toLlmError(statusError(500, {}, { 'x-should-retry': 'false' }), ctx).retryable).toBe(false);
    expect(toLlmError(statusError(400, {}, { 'x-should-retry': 'true' }), ctx).retryable).toBe(true);
  });

  it('401 names the variable and never the key, even when the server echoes it', () => {
    const mapped = toLlmError(statusError(401, { message: `Incorrect API key provided: ${ctx.apiKey}` }), ctx);
    expect(mapped.code).toBe('llm_auth');
    expect(mapped.message).toContain('PIRATE_KEY');
    expect(mapped.message).toContain(ctx.baseUrl);
    expect(JSON.stringify(mapped.toJSON())).not.toContain(ctx.apiKey);
    expect(mapped.cause).toBeUndefined();
  });

  it('scrubs the key from any server message that echoes it', () => {
    const mapped = toLlmError(statusError(400, { message: `bad header ${ctx.apiKey}` }), ctx);
    expect(mapped.message).not.toContain(ctx.apiKey);
    expect(mapped.message).toContain('[redacted]');
  });

  it('404 names the model and the endpoint', () => {
    const mapped = toLlmError(statusError(404), ctx);
    expect(mapped.message).toContain('"ft:pirate"');
    expect(mapped.message).toContain(ctx.baseUrl);
  });

  it("the caller's aborted signal wins: deadline_exceeded, whatever the SDK threw", () => {
    const signal = AbortSignal.abort();
    expect(toLlmError(new APIUserAbortError(), { ...ctx, signal }).code).toBe('deadline_exceeded');
    expect(toLlmError(statusError(500), { ...ctx, signal }).code).toBe('deadline_exceeded');
    const timeout = { signal: AbortSignal.abort(), ms: 250 };
    const timedOut = toLlmError(new APIUserAbortError(), { ...ctx, timeout });
    expect(timedOut).toMatchObject({ code: 'llm_timeout', retryable: true });
    expect(timedOut.message).toContain('250 ms');
  });

  it('passes RestyleErrors through and wraps anything else as llm_error', () => {
    const own = new RestyleError('env_missing', 'x');
    expect(toLlmError(own, ctx)).toBe(own);
    expect(toLlmError(new TypeError('weird'), ctx)).toMatchObject({ code: 'llm_error', retryable: false });
  });
});
