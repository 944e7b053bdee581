/**
 * `POST /v1/restyle` with `"stream": true`: `text/event-stream`, one `block` event per piece of the answer
 * in order as soon as it is styled, then one `done` event with the summary `/v1/restyle` returns as JSON.
 * Bad input is still a JSON error (nothing has been sent yet); an error after the first event (only with
 * `onError: "error"`) is an `error` event. The client hanging up cancels the styling calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../../src/app.js';
import { toRestyleError } from '../../src/errors.js';
import type { RestyleOptions, RestyleResult, StyledBlock } from '../../src/restyle/restyler.js';
import { once } from '../../src/restyle/stream.js';

export async function sendRestyleStream(ctx: AppContext, req: IncomingMessage, res: ServerResponse, text: string, options: RestyleOptions): Promise<void> {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  ctx.restyler.checkText(text);
  const stream = ctx.restyler.stream(once(text), { ...options, signal: options.signal ? AbortSignal.any([options.signal, gone.signal]) : gone.signal });
  // The first piece (or the summary) before any header: bad input still gets its JSON error and status.
  let next = await stream.next();
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  try {
    while (!next.done) {
      if (gone.signal.aborted) return;
      writeEvent(res, 'block', blockEvent(next.value));
      next = await stream.next();
    }
    writeEvent(res, 'done', summaryEvent(next.value, text));
  } catch (error) {
    const e = toRestyleError(error);
    if (!gone.signal.aborted) writeEvent(res, 'error', { error: { code: e.code, message: e.message } });
  } finally {
    if (gone.signal.aborted) await stream.return(undefined as never).catch(() => undefined);
    res.end();
  }
}

function blockEvent(b: StyledBlock): Record<string, unknown> {
  return { index: b.index, kind: b.kind, text: b.text, styled: b.styled, cached: b.cached, ...(b.reason && b.kind === 'prose' ? { reason: b.reason } : {}) };
}

/** The JSON `/v1/restyle` summary; an empty text keeps its `empty` reason as on the JSON path. */
function summaryEvent(r: RestyleResult, text: string): RestyleResult {
  return text.trim() === '' ? { ...r, reason: 'empty' } : r;
}

function writeEvent(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
