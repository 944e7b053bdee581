/**
 * Reading an answer webhook's response as text deltas, by its content type:
 * - `application/json`: `{"text": "…"}`, the whole answer at once (as before streaming);
 * - `text/event-stream`: server-sent events, each `data:` a JSON `{"text": "…"}` delta (an OpenAI
 *   `chat.completion.chunk` works too), `data: [DONE]` or the end of the body closes it;
 * - `application/x-ndjson` (or `application/jsonl`): one JSON `{"text": "…"}` delta per line.
 * A line that is not such JSON is an `llm_error` naming the webhook and the line.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { RestyleError } from '../errors.js';

export async function* webhookDeltas(response: Response, where: string): AsyncGenerator<string, void, undefined> {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') {
    yield* sseDeltas(response, where);
    return;
  }
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/jsonlines') {
    yield* ndjsonDeltas(response, where);
    return;
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new RestyleError('llm_error', `answer webhook ${where} did not return JSON {"text": "…"} (nor an SSE or NDJSON stream)`);
  }
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw new RestyleError('llm_error', `answer webhook ${where} returned no "text" string`);
  yield text;
}

async function* sseDeltas(response: Response, where: string): AsyncGenerator<string, void, undefined> {
  if (!response.body) return;
  const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  let n = 0;
  for await (const event of events) {
    n += 1;
    if (event.data === '[DONE]') return;
    const delta = deltaOf(event.data, `${where} event ${n}`);
    if (delta) yield delta;
  }
}

async function* ndjsonDeltas(response: Response, where: string): AsyncGenerator<string, void, undefined> {
  if (!response.body) return;
  let rest = '';
  let line = 0;
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) !== -1) {
      const raw = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      line += 1;
      if (raw.trim() === '') continue;
      const delta = deltaOf(raw, `${where} line ${line}`);
      if (delta) yield delta;
    }
  }
  if (rest.trim() !== '') {
    const delta = deltaOf(rest, `${where} line ${line + 1}`);
    if (delta) yield delta;
  }
}

/** `{"text": "…"}`, or an OpenAI chunk's `choices[0].delta.content`. */
function deltaOf(data: string, at: string): string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new RestyleError('llm_error', `answer webhook ${at}: not JSON (expected {"text": "…"})`);
  }
  const v = value as { text?: unknown; choices?: Array<{ delta?: { content?: unknown } }> } | null;
  if (typeof v?.text === 'string') return v.text;
  const content = v?.choices?.[0]?.delta?.content;
  if (typeof content === 'string' || (Array.isArray(v?.choices) && (content === undefined || content === null))) return typeof content === 'string' ? content : '';
  throw new RestyleError('llm_error', `answer webhook ${at}: no "text" string`);
}
