import type { Endpoint } from '../config/load.js';
import type { ChatRequest } from '../llm/types.js';
import { sha256Of } from '../util/hash.js';

/** The editor model that strips the style (and extracts style parameters), and where it lives. */
export interface Editor {
  model: string;
  prompt: string;
  endpoint: Endpoint;
}

export type EditorTask = 'destyle' | 'params';

/** Reasoning models (o1, o3, o4-mini, gpt-5…) refuse a temperature; everything else gets 0 for repeatable rewrites. */
const NO_TEMPERATURE = /^(?:o\d|gpt-5)/;

function temperature(model: string): { temperature?: number } {
  return NO_TEMPERATURE.test(model.replace(/^ft:/, '')) ? {} : { temperature: 0 };
}

/**
 * The de-styling request for one block: the editor prompt as system message, the styled block (encoded by
 * the span codec) as user message. A block with placeholders also gets `placeholderNote` after the prompt;
 * blocks without keep the bare prompt, so their cached answers stay valid.
 */
export function destyleRequest(editor: Editor, styled: string, spans?: { count: number; open: string; close: string }): ChatRequest {
  return {
    model: editor.model,
    ...temperature(editor.model),
    messages: [
      { role: 'system', content: spans && spans.count > 0 ? `${editor.prompt}\n\n${placeholderNote(spans)}` : editor.prompt },
      { role: 'user', content: styled },
    ],
  };
}

/** What the editor is told about placeholders (their answer is rejected when one is lost or invented). */
export function placeholderNote(spans: { count: number; open: string; close: string }): string {
  const last = spans.count - 1;
  return `The text contains placeholders from ${spans.open}0${spans.close} to ${spans.open}${last}${spans.close} standing for links, mentions, code and emoji: keep each one exactly once, unchanged, where it fits in your rewrite.`;
}

export function paramsPrompt(names: readonly string[]): string {
  return (
    'You analyse the style of a text excerpt. For each of these style parameters give a short value ' +
    `(one to three lowercase words) describing the excerpt as written: ${names.join(', ')}. Reply in JSON.`
  );
}

/** The style-parameter request for one block: structured output with exactly the named string fields. */
export function paramsRequest(editor: Editor, names: readonly string[], styled: string): ChatRequest {
  return {
    model: editor.model,
    ...temperature(editor.model),
    jsonSchema: {
      name: 'style_parameters',
      schema: { type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])), required: [...names], additionalProperties: false },
    },
    messages: [
      { role: 'system', content: paramsPrompt(names) },
      { role: 'user', content: styled },
    ],
  };
}

/**
 * The Chat Completions body of a request, exactly as `LlmClient.chat` sends it: the Batch API takes raw
 * bodies, and the cache key hashes this, so live and batch runs share answers.
 */
export function chatBody(req: ChatRequest): Record<string, unknown> {
  return {
    model: req.model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
    ...(req.maxTokens === undefined ? {} : { max_tokens: req.maxTokens }),
    ...(req.jsonSchema ? { response_format: { type: 'json_schema', json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } } } : {}),
  };
}

/**
 * The cache key of a request: a hash of everything that shapes the answer (model, editor prompt, block,
 * temperature, schema), so a changed prompt or model never reuses an old answer. The endpoint is left out
 * on purpose: the same model behind a proxy gives the same answer. 32 hex characters (128 bits).
 */
export function requestKey(req: ChatRequest): string {
  return sha256Of(`restyle-editor-v1\u0000${JSON.stringify(chatBody(req))}`).slice(0, 32);
}

/** The parameter values from a structured-output reply, or null when a field is missing or empty. */
export function parseParams(raw: string, names: readonly string[]): Record<string, string> | null {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null) return null;
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = (obj as Record<string, unknown>)[n];
    if (typeof v !== 'string' || v.trim() === '') return null;
    // One line: a value goes inside the system prompt.
    out[n] = v.trim().replace(/\s+/g, ' ');
  }
  return out;
}
