/**
 * One client per OpenAI-compatible endpoint. The SDK's own retries are off (`maxRetries: 0`): we retry
 * here so Retry-After, the endpoint's shared rate limiter, deadlines and typed errors live in one place.
 */
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { Model } from 'openai/resources/models';
import { requireApiKey, type Endpoint } from '../config/load.js';
import { RestyleError } from '../errors.js';
import type { Logger } from '../log.js';
import { backoffMs, shouldRetry, toLlmError, type LlmErrorContext } from './errors.js';
import type { RateLimiter } from './limiter.js';
import { countMessageTokens, countTokens, estimateMessageTokens, estimateTokens } from './tokens.js';
import type { ChatRequest, ChatResult, TokenUsage } from './types.js';
import type { UsageMeter } from './usage.js';

export interface LlmClientOptions {
  endpoint: Endpoint;
  /** Budget of one HTTP attempt (a request may override it with `timeoutMs`). */
  timeoutMs: number;
  /** Retries after the first attempt, for retryable errors only. */
  maxRetries: number;
  /** Shared by every client of the same endpoint. */
  limiter: RateLimiter;
  usage: UsageMeter;
  fetch?: typeof fetch;
  logger?: Logger;
}

interface Attempt {
  /** Aborts on the caller's signal, and for held calls (streams) on the idle timeout too. */
  signal: AbortSignal | undefined;
  /** The SDK's own per-request timeout (a plain call needs no timer of ours). */
  timeoutMs: number;
  /** The limiter slot and the timer: `withRetries` lets go of them when `fn` settles, unless `hold`. */
  release: () => void;
  /** Held calls only: the idle timeout, restarted with every chunk. */
  idle: IdleTimer;
}

/** A signal that never fires: stands for "no timer of ours" when mapping errors. */
const NEVER = new AbortController().signal;

interface CallSpec {
  model?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Weight for the TPM bucket. */
  estimatedTokens: number;
  /** Retries after the first attempt (the client's `maxRetries` when not given). */
  retries?: number;
  /** Keep the slot and the timer after `fn` succeeds (a stream still being read). */
  hold?: boolean;
}

/**
 * @example
 * const client = new LlmClient({ endpoint, timeoutMs: 20_000, maxRetries: 2, limiter, usage });
 * const { text } = await client.chat({ model: 'ft:gpt-4.1-mini:acme:pirate:abc', messages });
 */
export class LlmClient {
  readonly endpoint: Endpoint;
  readonly limiter: RateLimiter;
  readonly usage: UsageMeter;
  private readonly options: LlmClientOptions;
  private client: OpenAI | undefined;

  constructor(options: LlmClientOptions) {
    this.options = options;
    this.endpoint = options.endpoint;
    this.limiter = options.limiter;
    this.usage = options.usage;
  }

  /**
   * The underlying SDK (files, batches, fine-tuning), built on first use so commands that never call the
   * model work without a key. Throws `env_missing` naming the variable when the key is not set. Calls
   * made on it directly bypass our limiter, retries and error mapping (see `toLlmError`).
   */
  get sdk(): OpenAI {
    if (!this.client) {
      this.client = new OpenAI({
        baseURL: this.endpoint.baseUrl,
        apiKey: requireApiKey(this.endpoint),
        maxRetries: 0,
        timeout: Math.max(1, Math.ceil(this.options.timeoutMs)),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
    }
    return this.client;
  }

  /** One chat completion, through the limiter, retried on 429/5xx/timeouts/dropped connections. */
  async chat(req: ChatRequest): Promise<ChatResult> {
    const sdk = this.sdk;
    const body: ChatCompletionCreateParamsNonStreaming = { ...this.params(req), stream: false };
    const estimated = estimateRequest(req);
    const { value, attempts } = await this.withRetries({ model: req.model, signal: req.signal, timeoutMs: req.timeoutMs, estimatedTokens: estimated }, async (attempt) => {
      const completion: ChatCompletion = await sdk.chat.completions.create(body, { signal: attempt.signal, timeout: attempt.timeoutMs, maxRetries: 0 });
      const choice = completion.choices[0];
      if (!choice) throw this.modelError(req.model, 'returned no choices');
      const content: unknown = choice.message?.content;
      if (content != null && typeof content !== 'string') {
        throw this.modelError(req.model, 'returned a message whose content is not text');
      }
      const text = content ?? '';
      return {
        text,
        model: completion.model || req.model,
        finishReason: choice.finish_reason ?? null,
        usage: toUsage(completion.usage, () => countMessageTokens(req.messages), () => countTokens(text)),
      };
    });
    this.limiter.adjust(estimated, value.usage.totalTokens);
    this.usage.add(req.model, value.usage);
    return { ...value, attempts };
  }

  /**
   * The reply as text deltas (`stream: true`). Connecting is retried like `chat`; an error after the
   * first delta is not (the caller already has part of the text). The timeout is an idle timeout: it
   * restarts with every chunk. The limiter slot is held until the stream ends.
   */
  async *chatStream(req: ChatRequest): AsyncGenerator<string, void, undefined> {
    const sdk = this.sdk;
    const body: ChatCompletionCreateParamsStreaming = { ...this.params(req), stream: true, stream_options: { include_usage: true } };
    const estimated = estimateRequest(req);
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    // Connect inside withRetries, but keep the slot: the release happens when the stream is done.
    const { value: open } = await this.withRetries({ model: req.model, signal: req.signal, timeoutMs, estimatedTokens: estimated, hold: true }, async (attempt) => {
      const stream = await sdk.chat.completions.create(body, { signal: attempt.signal, timeout: attempt.timeoutMs, maxRetries: 0 });
      return { stream, release: attempt.release, idle: attempt.idle };
    });
    const { stream, release, idle } = open;
    const ctx = this.errorContext(req.model, req.signal, { signal: idle.signal, ms: timeoutMs });
    let text = '';
    let usage: TokenUsage | undefined;
    try {
      for await (const chunk of stream) {
        idle.restart();
        if (chunk.usage) usage = toUsage(chunk.usage, () => 0, () => 0);
        const delta: unknown = chunk.choices?.[0]?.delta?.content;
        if (delta != null && typeof delta !== 'string') throw this.modelError(req.model, 'streamed content that is not text');
        if (delta) {
          text += delta;
          // Time spent by the consumer is not the server being idle.
          idle.stop();
          yield delta;
          idle.restart();
        }
      }
      // The SDK ends an aborted stream quietly; an abort must not pass for a complete reply.
      if (req.signal?.aborted || idle.signal.aborted) throw toLlmError(new Error('stream aborted'), ctx);
    } catch (error) {
      throw toLlmError(error, ctx);
    } finally {
      idle.stop();
      release();
      if (usage || text) {
        const used = usage ?? toUsage(undefined, () => countMessageTokens(req.messages), () => countTokens(text));
        this.limiter.adjust(estimated, used.totalTokens);
        this.usage.add(req.model, used);
      }
    }
  }

  /** Model ids the endpoint serves (`GET /models`); `once`: one attempt, no retries (a check that reports). */
  async listModels(options: { signal?: AbortSignal; once?: boolean } = {}): Promise<string[]> {
    const sdk = this.sdk;
    const { value } = await this.withRetries({ signal: options.signal, estimatedTokens: 0, ...(options.once ? { retries: 0 } : {}) }, async (attempt) => {
      const ids: string[] = [];
      for await (const m of sdk.models.list({ signal: attempt.signal, timeout: attempt.timeoutMs, maxRetries: 0 })) ids.push(m.id);
      return ids;
    });
    return value;
  }

  /** One model (`GET /models/{id}`); `model_not_found` naming the id and the endpoint when it isn't served. */
  async getModel(id: string, options: { signal?: AbortSignal } = {}): Promise<Model> {
    const sdk = this.sdk;
    const { value } = await this.withRetries({ model: id, signal: options.signal, estimatedTokens: 0 }, (attempt) =>
      sdk.models.retrieve(id, { signal: attempt.signal, timeout: attempt.timeoutMs, maxRetries: 0 }),
    );
    return value;
  }

  /** Map anything the SDK threw for this endpoint to a `RestyleError` (for callers using `sdk` directly). */
  toError(error: unknown, model?: string): RestyleError {
    return toLlmError(error, this.errorContext(model));
  }

  /** The model answered, but not with a usable completion: `llm_error` naming the endpoint and model. */
  private modelError(model: string, what: string): RestyleError {
    return new RestyleError('llm_error', `${this.endpoint.baseUrl}: model "${model}" ${what}`, { details: { baseUrl: this.endpoint.baseUrl, model } });
  }

  private params(req: ChatRequest): Omit<ChatCompletionCreateParamsNonStreaming, 'stream'> {
    return {
      model: req.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      // max_tokens rather than max_completion_tokens: every OpenAI-compatible server understands it.
      ...(req.maxTokens === undefined ? {} : { max_tokens: req.maxTokens }),
      ...(req.jsonSchema
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } } }
        : {}),
    };
  }

  /**
   * Run `fn` through the limiter, up to 1 + maxRetries times. Between attempts: wait the backoff (the
   * server's Retry-After when given, which also pauses the whole endpoint's limiter); the caller's signal
   * cuts any wait short with `deadline_exceeded`.
   */
  private async withRetries<T>(spec: CallSpec, fn: (attempt: Attempt) => Promise<T>): Promise<{ value: T; attempts: number }> {
    // The SDK insists on a positive integer.
    const timeoutMs = Math.max(1, Math.ceil(spec.timeoutMs ?? this.options.timeoutMs));
    for (let attempt = 1; ; attempt++) {
      let error: RestyleError;
      let release: (() => void) | undefined;
      // Only a held call (a stream, whose timeout restarts per chunk) needs a timer and signal of its own; a
      // plain call leaves the timeout to the SDK (one AbortController a request instead of three).
      const idle = new IdleTimer(timeoutMs, spec.hold === true);
      try {
        release = await this.limiter.acquire(spec.estimatedTokens, spec.signal);
        idle.restart();
        const signal = !spec.hold ? spec.signal : spec.signal ? AbortSignal.any([spec.signal, idle.signal]) : idle.signal;
        const value = await fn({ signal, timeoutMs, release, idle });
        if (!spec.hold) {
          idle.stop();
          release();
        }
        return { value, attempts: attempt };
      } catch (thrown) {
        idle.stop();
        release?.();
        error = toLlmError(thrown, this.errorContext(spec.model, spec.signal, { signal: idle.signal, ms: timeoutMs }));
      }
      error.details.attempts = attempt;
      if (attempt > (spec.retries ?? this.options.maxRetries) || !shouldRetry(error)) throw error;
      const retryAfterMs = typeof error.details.retryAfterMs === 'number' ? error.details.retryAfterMs : undefined;
      // Everyone on this endpoint waits out a Retry-After, not just the caller that got the 429.
      if (error.code === 'llm_rate_limited' && retryAfterMs !== undefined) this.limiter.pauseFor(retryAfterMs);
      const wait = backoffMs(attempt, retryAfterMs);
      this.options.logger?.warn({ baseUrl: this.endpoint.baseUrl, model: spec.model, code: error.code, attempt, waitMs: wait }, 'llm: retrying');
      await sleepUnlessAborted(wait, spec.signal, () => {
        // Keep what was being waited out (a 429's Retry-After…): "took too long" alone hides the cause.
        const aborted = toLlmError(spec.signal?.reason, this.errorContext(spec.model, spec.signal));
        aborted.details.lastError = { code: error.code, message: error.message };
        return aborted;
      });
    }
  }

  private errorContext(model: string | undefined, signal?: AbortSignal, timeout?: LlmErrorContext['timeout']): LlmErrorContext {
    return { baseUrl: this.endpoint.baseUrl, apiKeyEnv: this.endpoint.apiKeyEnv, apiKey: this.endpoint.apiKey, model, signal, timeout };
  }
}

/**
 * An attempt's timeout that can be restarted (idle timeout for streams) and cleared without leaking timers.
 * Disarmed (`armed` false) it does nothing and its signal never fires: plain calls use the SDK's timeout.
 */
class IdleTimer {
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly armed = true,
  ) {}

  get signal(): AbortSignal {
    if (!this.armed) return NEVER;
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  restart(): void {
    this.stop();
    if (!this.armed) return;
    const signal = this.signal;
    if (!signal.aborted) this.timer = setTimeout(() => this.controller!.abort(), this.ms);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Resolve after `ms`, or reject at once (with `onAbort()`) when the signal fires. */
function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
  if (signal?.aborted) return Promise.reject(onAbort());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** Prompt estimate plus the reply: `maxTokens`, else about as long as the text being restyled. */
function estimateRequest(req: ChatRequest): number {
  const last = req.messages.at(-1)?.content ?? '';
  return estimateMessageTokens(req.messages) + (req.maxTokens ?? estimateTokens(last));
}

/** The server's usage, or our own count when a compatible server leaves it out. */
function toUsage(
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined,
  prompt: () => number,
  completion: () => number,
): TokenUsage {
  const promptTokens = usage?.prompt_tokens ?? prompt();
  const completionTokens = usage?.completion_tokens ?? completion();
  return { promptTokens, completionTokens, totalTokens: usage?.total_tokens ?? promptTokens + completionTokens };
}
