import type { ServerResponse } from 'node:http';
import { EventSourceParserStream, ParseError } from 'eventsource-parser/stream';
import type { AppContext } from '../../src/app.js';
import { upstreamTooLarge } from '../../src/proxy/read-upstream.js';
import { addResult, addUsage, emptySummary, kindOf, malformedChoice, type ProxySummary } from '../../src/proxy/restyle-completion.js';
import { Pushable } from '../../src/util/pushable.js';
import type { UpstreamCall } from './proxy.js';

type Json = Record<string, unknown>;

export interface StreamOptions {
  ctx: AppContext;
  res: ServerResponse;
  upstream: UpstreamCall;
  /** null: pass the stream through as it comes. */
  style: { style: string; by: string } | null;
  headers: Record<string, string>;
  /** Masks our secrets in events relayed as they came (the routes' `secretScrubber`, built once). */
  clean: (text: string) => string;
}

/** One choice's assistant text on its way through the filter, and what follows it (its finish chunk). */
interface ChoicePipe {
  push(delta: string): void;
  end(): void;
  /** Resolves when every styled piece of this choice was written. */
  drained: Promise<void>;
  finish?: Json;
}

/**
 * Re-emit an upstream `chat.completion.chunk` stream with each choice's text restyled block by block.
 * Everything that is not assistant text (role, tool call and function deltas, refusals, logprobs) is
 * forwarded at once and untouched; a choice's finish chunk waits until its styled text has been sent; the
 * usage chunk (stream_options.include_usage) gains the styling calls. A stream cut upstream ends here with what was
 * already styled and an error chunk (no finish, no [DONE]).
 */
export async function streamCompletion({ ctx, res, upstream, style, headers, clean }: StreamOptions): Promise<'styled' | 'passthrough' | 'failed'> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  res.flushHeaders();
  const write = (data: string) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${data}\n\n`);
  };
  const summary = emptySummary(style?.style ?? null, style?.by ?? 'none');
  const pipes = new Map<number, ChoicePipe>();
  let template: Json | undefined;
  let usageChunk: Json | undefined;
  let done = false;
  /** Why the stream is cut short, for its closing error chunk. */
  let fault: { message: string; code: string } | undefined;

  const pipeFor = (index: number): ChoicePipe => {
    let pipe = pipes.get(index);
    if (!pipe) {
      pipe = openPipe(ctx, style!.style, upstream.signal, summary, (text) => write(JSON.stringify({ ...template, choices: [{ index, delta: { content: text }, finish_reason: null }] })));
      pipes.set(index, pipe);
    }
    return pipe;
  };

  try {
    // One event past proxy.maxResponseBytes (characters) errors the parser and cancels the upstream body: a stream
    // may run long, but no single line or event may grow the process without bound.
    const events = upstream.response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream({ maxBufferSize: ctx.settings.proxy.maxResponseBytes }));
    for await (const event of events) {
      if (event.data === '[DONE]') {
        done = true;
        break;
      }
      if (!style) {
        write(clean(event.data));
        continue;
      }
      const chunk = chunkOf(event.data);
      if (typeof chunk === 'string') {
        fault = { message: `the upstream sent a malformed stream chunk: ${chunk}`, code: 'upstream_malformed' };
        break; // cancels the upstream body
      }
      template ??= { id: chunk.id, object: chunk.object ?? 'chat.completion.chunk', created: chunk.created, model: chunk.model, ...(chunk.system_fingerprint ? { system_fingerprint: chunk.system_fingerprint } : {}) };
      const choices = Array.isArray(chunk.choices) ? (chunk.choices as Json[]) : [];
      if (choices.length === 0) {
        if (chunk.usage) usageChunk = chunk;
        else write(clean(event.data));
        continue;
      }
      const forward: Json[] = [];
      for (const c of choices) {
        const index = Number(c.index ?? 0);
        // Only the first choice is styled: the others' lengths are unknown until they end, and one request may
        // cost restyle.maxBlocks calls however many choices (`n`) it asked for. The rest pass as they come.
        if (index !== 0) {
          if (typeof (c.delta as Json | undefined)?.content === 'string') summary.reason ??= 'max_blocks';
          forward.push(c);
          continue;
        }
        const { content, ...rest } = (c.delta ?? {}) as Json;
        if (typeof content === 'string' && content !== '') pipeFor(index).push(content);
        const finish = c.finish_reason ?? null;
        const hasOther = Object.keys(rest).length > 0 || c.logprobs;
        if (finish !== null) {
          const pipe = pipeFor(index);
          pipe.finish = { ...chunk, choices: [{ ...c, delta: rest }] };
          pipe.end();
        } else if (hasOther) forward.push({ ...c, delta: rest });
      }
      if (forward.length) write(clean(JSON.stringify({ ...chunk, choices: forward })));
    }
  } catch (error) {
    if (error instanceof ParseError && error.type === 'max-buffer-size-exceeded') {
      fault = { message: upstreamTooLarge(ctx.settings.proxy.upstream.baseUrl, ctx.settings.proxy.maxResponseBytes, 'a stream event').message, code: 'upstream_too_large' };
    } else if (!upstream.signal.aborted) ctx.logger.warn({ err: (error as Error).message }, 'proxy: upstream stream broke off; sending what was styled and cutting the stream');
  }
  if (fault) ctx.logger.warn({ err: fault.message }, 'proxy: cutting the upstream stream');
  // Whatever arrived is styled and sent, then each choice's finish, then usage and [DONE] (only when upstream said so).
  for (const pipe of pipes.values()) pipe.end();
  await Promise.all([...pipes.values()].map((p) => p.drained));
  for (const pipe of pipes.values()) if (pipe.finish && done) write(JSON.stringify(pipe.finish));
  if (usageChunk) write(JSON.stringify({ ...usageChunk, usage: addUsage(usageChunk.usage, summary), restyle: summary }));
  // An error chunk, as OpenAI sends one mid-stream: SDKs raise it, so nobody takes a partial answer for a whole one.
  if (!done && !fault && !upstream.signal.aborted) fault = { message: 'upstream stream ended before the answer was complete; the text sent so far is all there is', code: 'upstream_incomplete' };
  if (done) write('[DONE]');
  else if (fault) write(JSON.stringify({ error: { message: fault.message, type: 'upstream_error', code: fault.code } }));
  res.end();
  if (!done) return 'failed';
  return summary.styled ? 'styled' : 'passthrough';
}

/** A stream event's chunk, or what is wrong with it: not JSON, not an object, or a choice that is not an object. */
function chunkOf(data: string): Json | string {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return 'an event that is not JSON';
  }
  if (!chunk || typeof chunk !== 'object' || Array.isArray(chunk)) return `an event that is ${kindOf(chunk)}, not an object`;
  return malformedChoice((chunk as Json).choices) ?? (chunk as Json);
}

/** The streaming filter for one choice: deltas in, styled blocks out in order, each emitted as it is released. */
function openPipe(ctx: AppContext, style: string, signal: AbortSignal, summary: ProxySummary, emit: (text: string) => void): ChoicePipe {
  const input = new Pushable<string>();
  const drained = (async () => {
    const blocks = ctx.restyler.stream(input, { style, signal });
    for (let r = await blocks.next(); ; r = await blocks.next()) {
      if (r.done) {
        addResult(summary, r.value);
        return;
      }
      // Past restyle.maxChars the rest passes as written; the summary says so, as the non-streamed answer's does.
      if (r.value.reason === 'text_too_long') summary.reason ??= 'text_too_long';
      if (r.value.text !== '' && !signal.aborted) emit(r.value.text);
    }
  })().catch((error: unknown) => {
    // The filter fails open by itself; what is left is the caller going away mid-stream.
    if (!signal.aborted) ctx.logger.warn({ err: (error as Error).message }, 'proxy: streaming filter stopped');
  });
  return { push: (delta) => input.push(delta), end: () => input.end(), drained };
}
