import type { Endpoint, Settings } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import type { ChatMessage } from '../llm/types.js';
import type { ChatClientProvider } from '../restyle/filter.js';
import type { Actor, Place } from './types.js';

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
    return new OpenAIAnswerSource(deps.llm, endpoint, cfg.model!, cfg.systemPrompt ?? DEFAULT_ANSWER_PROMPT, cfg.timeoutMs);
  }
  if (cfg.source === 'webhook') return new WebhookAnswerSource(cfg.url!, cfg.timeoutMs, deps.fetch ?? fetch);
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
  ) {}

  async answer(request: AnswerRequest): Promise<string> {
    const messages: ChatMessage[] = [
      { role: 'system', content: this.systemPrompt },
      ...request.history.map((h): ChatMessage => ({ role: h.role, content: h.text })),
      { role: 'user', content: request.text },
    ];
    const result = await this.llm.get(this.endpoint).chat({ model: this.model, messages, signal: AbortSignal.timeout(this.timeoutMs) });
    return result.text;
  }
}

/** The team's own service answers: POST {text,user,channel,thread} → {text}. */
export class WebhookAnswerSource implements AnswerSource {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: typeof fetch,
  ) {}

  async answer(request: AnswerRequest): Promise<string> {
    const where = safeUrl(this.url);
    let response: Response;
    try {
      response = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: request.text, user: request.actor.key, channel: request.place.key, thread: request.place.thread ?? null }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new RestyleError(timedOut ? 'llm_timeout' : 'llm_unavailable', timedOut ? `answer webhook ${where} did not answer within ${this.timeoutMs} ms` : `answer webhook ${where} is unreachable: ${toRestyleError(error).message}`, { cause: error, retryable: true });
    }
    if (!response.ok) {
      throw new RestyleError('llm_unavailable', `answer webhook ${where} answered HTTP ${response.status}`, { details: { status: response.status }, retryable: response.status >= 500 });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new RestyleError('llm_error', `answer webhook ${where} did not return JSON {"text": "…"}`);
    }
    const text = (body as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new RestyleError('llm_error', `answer webhook ${where} returned no "text" string`);
    return text;
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
