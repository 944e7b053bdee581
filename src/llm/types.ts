export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** JSON-schema structured output (the corpus builder's style parameters). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** Aborts the request and any retry waits (the filter's per-answer deadline). */
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

export interface ChatResult {
  text: string;
  model: string;
  usage: TokenUsage;
  finishReason: string | null;
  /** Attempts made, 1 when the first succeeded. */
  attempts: number;
}
