import type { Endpoint, Settings } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import { deadline } from '../util/deadline.js';
import type { ChatMessage } from '../llm/types.js';
import type { ChatClientProvider } from '../restyle/restyler.js';
import type { Actor, Place } from './types.js';
import { capDeltas, capText } from './answer-cap.js';
import { webhookDeltas } from './answer-stream.js';

/** One earlier message of the thread, oldest first, as the adapter read it from the platform. */
export interface HistoryEntry {
  role: 'user' | 'assistant';
  text: string;
}

export interface AnswerRequest {
  text: string;
  actor: Actor;
  place: Place;
  history: readonly HistoryEntry[];
}

/** Where the bot's answers come from, before the filter styles them (`settings.bot.answer.source`). */
export interface AnswerSource {
  readonly name: 'openai' | 'webhook';
  answer(request: AnswerRequest): Promise<string>;
  /**
   * The answer as text deltas while it is written (for streaming posts); `signal` cancels the upstream
   * call. Throws a `RestyleError` when it cannot start or is cut off mid-answer.
   */
  stream(request: AnswerRequest, signal?: AbortSignal): AsyncIterable<string>;
}

export const DEFAULT_ANSWER_PROMPT = 'You are a helpful assistant in a team chat. Answer clearly and concisely.';

/** The configured source, or null when `bot.answer.source` is `none`. */
export function answerSourceFrom(
  settings: Pick<Settings, 'bot' | 'openai'>,
  deps: { llm: ChatClientProvider; fetch?: typeof fetch },
): AnswerSource | null {
  const cfg = settings.bot.answer;
  if (cfg.source === 'openai') {
    const endpoint: Endpoint = cfg.baseUrl ? { ...settings.openai, baseUrl: cfg.baseUrl.replace(/\/+$/, '') } : settings.openai;
    return new OpenAIAnswerSource(deps.llm, endpoint, cfg.model!, cfg.systemPrompt ?? DEFAULT_ANSWER_PROMPT, cfg.timeoutMs, cfg.maxChars);
  }
  if (cfg.source === 'webhook') return new WebhookAnswerSource(cfg.url!, cfg.timeoutMs, deps.fetch ?? fetch, cfg.maxChars);
  return null;
}

/** A chat model answers, with the thread so far as context. */
export class OpenAIAnswerSource implements AnswerSource {
  readonly name = 'openai';

  constructor(
    private readonly llm: ChatClientProvider,
    private readonly endpoint: Endpoint,
    private readonly model: string,
    private readonly systemPrompt: string,
    private readonly timeoutMs: number,
    /** The longest answer posted (`bot.answer.maxChars`, see ./answer-cap.ts). */
    private readonly maxChars = Infinity,
  ) {}

  async answer(request: AnswerRequest): Promise<string> {
    const timeout = deadline(this.timeoutMs);
    try {
      const result = await this.llm.get(this.endpoint).chat({ model: this.model, messages: this.messages(request), signal: timeout.signal });
      return capText(result.text, this.maxChars);
    } finally {
      timeout.clear();
    }
  }

  /** `stream: true`; `timeoutMs` is then an idle timeout (no delta for that long), not a cap on the whole answer. */
  async *stream(request: AnswerRequest, signal?: AbortSignal): AsyncGenerator<string, void, undefined> {
    const client = this.llm.get(this.endpoint);
    const req = { model: this.model, messages: this.messages(request), timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) };
    if (!client.chatStream) {
      // Not AbortSignal.any with AbortSignal.timeout: on Node 20 a GC can drop the timeout (src/util/deadline.ts).
      const timeout = deadline(this.timeoutMs, signal);
      let text: string;
      try {
        text = (await client.chat({ ...req, signal: timeout.signal })).text;
      } finally {
        timeout.clear();
      }
      yield capText(text, this.maxChars);
      return;
    }
    yield* capDeltas(client.chatStream(req), this.maxChars);
  }

  private messages(request: AnswerRequest): ChatMessage[] {
    return [
      { role: 'system', content: this.systemPrompt },
      ...request.history.map((h): ChatMessage => ({ role: h.role, content: h.text })),
      { role: 'user', content: request.text },
    ];
  }
}

/** The team's own service answers: POST {text,user,channel,thread} → {text}. */
export class WebhookAnswerSource implements AnswerSource {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: typeof fetch,
    /** The longest answer posted (`bot.answer.maxChars`, see ./answer-cap.ts). */
    private readonly maxChars = Infinity,
  ) {}

  /** The whole answer: the stream joined (the service may answer JSON, SSE or NDJSON either way). */
  async answer(request: AnswerRequest): Promise<string> {
    let text = '';
    for await (const delta of this.stream(request)) text += delta;
    return text;
  }

  /**
   * POST, asking for a stream (`Accept: text/event-stream, application/x-ndjson, application/json`); the
   * response's content type decides how it is read (see `webhookDeltas`). `timeoutMs` bounds the wait
   * for the response to start and then each silence between chunks.
   */
  async *stream(request: AnswerRequest, signal?: AbortSignal): AsyncGenerator<string, void, undefined> {
    const where = safeUrl(this.url);
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), this.timeoutMs);
    const restart = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.timeoutMs);
    };
    const aborted = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
    const fail = (error: unknown, during: string): RestyleError => {
      if (error instanceof RestyleError) return error;
      const timedOut = idle.signal.aborted;
      return new RestyleError(timedOut ? 'llm_timeout' : 'llm_unavailable', timedOut ? `answer webhook ${where} went quiet for ${this.timeoutMs} ms ${during}` : `answer webhook ${where} ${during === 'before answering' ? 'is unreachable' : 'was cut off while answering'}: ${toRestyleError(error).message}`, { cause: error, retryable: true });
    };
    try {
      let response: Response;
      try {
        response = await this.fetchFn(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/x-ndjson, application/json' },
          body: JSON.stringify({ text: request.text, user: request.actor.key, channel: request.place.key, thread: request.place.thread ?? null }),
          signal: aborted,
        });
      } catch (error) {
        throw fail(error, 'before answering');
      }
      if (!response.ok) {
        throw new RestyleError('llm_unavailable', `answer webhook ${where} answered HTTP ${response.status}`, { details: { status: response.status }, retryable: response.status >= 500 });
      }
      restart();
      try {
        for await (const delta of capDeltas(webhookDeltas(response, where), this.maxChars)) {
          restart();
          yield delta;
        }
      } catch (error) {
        throw fail(error, 'while answering');
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The URL without credentials or query (which may carry tokens), for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(bot.answer.url)';
  }
}
