import { EventSourceParserStream } from 'eventsource-parser/stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { tmpDir } from '../../support/tmp.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

let ctx: AppContext;
let http: HttpServer;
let base: string;

const TEXT = 'First block.\n\nSecond block.\n\n```\nkeep()\n```\n\nLast block.';

const fake = useFakeOpenAI();
beforeEach(async () => {
  fake.reset();
  fake.setResponder((body) => `~${body.messages[1].content}~`);
  const dir = tmpDir('http-stream');
  const settings = settingsFrom(
    { styles: { wavy: { model: 'wavy-1' } }, restyle: { maxBlockParagraphs: 1, maxRetries: 0, requestTimeoutMs: 30_000 } },
    { OPENAI_API_KEY: 'sk-http', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: dir },
  );
  ctx = await createContext(settings, { logger: silentLogger() });
  http = createHttpServer({ ctx, bodyLimit: 4096 });
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
});
afterEach(async () => {
  await http.close();
  await ctx.close();
});

const post = (body: unknown, signal?: AbortSignal) =>
  fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });

interface Event {
  event: string;
  data: Record<string, unknown>;
}

/** The response's events, pushed to `into` as they arrive. */
async function readEvents(res: Response, into: Event[]): Promise<void> {
  const events = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const e of events) into.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown> });
}

describe('POST /v1/restyle with "stream": true', () => {
  it('answers text/event-stream: one block event per piece in order, then done with the JSON summary', async () => {
    const json = (await (await post({ text: TEXT, style: 'wavy' })).json()) as Record<string, unknown>;
    const res = await post({ text: TEXT, style: 'wavy', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: Event[] = [];
    await readEvents(res, events);
    const blocks = events.filter((e) => e.event === 'block');
    expect(blocks.map((e) => e.data.index)).toEqual(blocks.map((_, i) => i));
    expect(blocks.map((e) => e.data.text).join('')).toBe('~First block.~\n\n~Second block.~\n\n```\nkeep()\n```\n\n~Last block.~');
    expect(events.at(-1)!.event).toBe('done');
    const { usage: _u1, ...summary } = events.at(-1)!.data;
    const { usage: _u2, ...expected } = json;
    expect(summary).toEqual({ ...expected, cached: 3 });
    expect(Object.keys(events.at(-1)!.data).sort()).toEqual(Object.keys(json).sort());
  });

  it('sends the first block while a later one is still being styled', async () => {
    let releaseLast!: () => void;
    const held = new Promise<void>((resolve) => (releaseLast = resolve));
    fake.setResponder(async (body) => {
      const text = body.messages[1].content as string;
      if (text.startsWith('Last')) await held;
      return `~${text}~`;
    });
    const res = await post({ text: TEXT, style: 'wavy', stream: true });
    const events: Event[] = [];
    const reading = readEvents(res, events);
    await vi.waitFor(() => expect(events.map((e) => e.data.text)).toContain('~Second block.~'));
    expect(events.some((e) => e.event === 'done')).toBe(false);
    releaseLast();
    await reading;
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { styled: true, blocks: 3 } });
  });

  it('bad input is still a JSON error with its status', async () => {
    const res = await post({ text: 'x', style: 'nope', stream: true });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('style_unknown');
    const bad = await post({ text: 'x', stream: 'yes' });
    expect(bad.status).toBe(400);
  });

  it('the client hanging up cancels the styling calls in flight', async () => {
    fake.setResponder(async (body) => {
      const text = body.messages[1].content as string;
      if (text.startsWith('Second')) await new Promise(() => undefined);
      return `~${text}~`;
    });
    const controller = new AbortController();
    const res = await post({ text: TEXT, style: 'wavy', stream: true }, controller.signal);
    const events: Event[] = [];
    const reading = readEvents(res, events).catch(() => undefined);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));
    controller.abort();
    await reading;
    const second = () => fake.requestsTo('/chat/completions').find((r) => String(r.body.messages[1].content).startsWith('Second'));
    await vi.waitFor(() => expect(second()?.clientClosed).toBe(true));
  });
});
