import { setImmediate as nextTurn } from 'node:timers/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { OpenAIAnswerSource, WebhookAnswerSource, type AnswerRequest } from '../../src/bot/answer.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { collectGarbage } from '../support/gc.js';

const request: AnswerRequest = {
  text: 'How did the deploy go?',
  actor: { key: 'slack:U1', platform: 'slack', id: 'U1' },
  place: { key: 'slack:C1', platform: 'slack', channelId: 'C1' },
  history: [],
};

/** The team's answer service: answers in whichever shape the test sets. */
let reply: (res: ServerResponse) => void;
let hook: Server;
let url: string;
let fake: FakeOpenAI;

beforeAll(async () => {
  hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(res));
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/answer`;
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  hook.closeAllConnections();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
  await fake.close();
});
beforeEach(() => fake.reset());

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}

describe('WebhookAnswerSource streams', () => {
  const source = (): WebhookAnswerSource => new WebhookAnswerSource(url, 2000, fetch);

  it('reads plain JSON as one delta, as before', async () => {
    reply = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: 'All green.' }));
    expect(await collect(source().stream(request))).toEqual(['All green.']);
    expect(await source().answer(request)).toBe('All green.');
  });

  it('a service that never stops streaming is cut at maxChars with a note, and its connection is closed', async () => {
    let closed = false;
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const timer = setInterval(() => res.write('{"text":"and on "}\n'), 2);
      res.on('close', () => {
        clearInterval(timer);
        closed = true;
      });
    };
    const capped = new WebhookAnswerSource(url, 2000, fetch, 100);
    const text = await capped.answer(request);
    expect(text).toBe(`${'and on '.repeat(14)}an\n\n… (answer cut at 100 characters)`);
    await vi.waitFor(() => expect(closed).toBe(true), { timeout: 5000, interval: 10 });
  });

  it('reads server-sent events: {"text"} deltas and OpenAI chunks, until [DONE]', async () => {
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"text":"All "}\n\n');
      res.write(': a comment line\n\ndata: {"choices":[{"delta":{"content":"green"}}]}\n\n');
      res.write('data: {"text":"."}\n\ndata: [DONE]\n\n');
      res.end();
    };
    expect(await collect(source().stream(request))).toEqual(['All ', 'green', '.']);
  });

  it('reads NDJSON, one {"text"} per line, split anywhere by the network', async () => {
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"text":"Deploy "}\n{"te');
      res.write('xt":"done."}\n');
      res.end('{"text":"\\nNext."}');
    };
    expect((await collect(source().stream(request))).join('')).toBe('Deploy done.\nNext.');
  });

  it('a line that is not {"text"} JSON names the webhook and the line; a cut stream is llm_unavailable, after what arrived', async () => {
    reply = (res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"text":"ok"}\nnot json\n');
    await expect(collect(source().stream(request))).rejects.toMatchObject({ code: 'llm_error', message: expect.stringContaining('/answer line 2: not JSON') });
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"text":"Half an "}\n\n', () => res.destroy());
    };
    const got: string[] = [];
    const error = await (async () => {
      for await (const d of source().stream(request)) got.push(d);
    })().catch((e: unknown) => e);
    expect(got).toEqual(['Half an ']);
    expect(error).toMatchObject({ code: 'llm_unavailable', message: expect.stringContaining('cut off while answering') });
  });
});

describe('OpenAIAnswerSource streams', () => {
  it('asks with stream: true and yields the deltas as the model writes them; aborting cancels the upstream call', async () => {
    const settings = settingsFrom({}, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url });
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    fake.setResponder(() => 'The deploy finished at 10:30 and every check passed.');
    const source = new OpenAIAnswerSource(pool, settings.openai, 'answer-1', 'Be brief.', 5000);
    const deltas = await collect(source.stream(request));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe('The deploy finished at 10:30 and every check passed.');
    expect(fake.requestsTo('/chat/completions')[0]!.body).toMatchObject({ stream: true, model: 'answer-1' });

    // Slow enough that the answer is still being written when the consumer stops, even when a busy machine
    // delays the consumer by seconds (at 5 tokens/s a load of 17 let the fake finish first).
    fake.setStreamRate(1);
    const controller = new AbortController();
    const got: string[] = [];
    const error = await (async () => {
      for await (const d of source.stream(request, controller.signal)) {
        got.push(d);
        if (got.length === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeDefined();
    await vi.waitFor(() => expect(fake.requestsTo('/chat/completions')[1]!.clientClosed).toBe(true), { timeout: 10_000 });
    expect(got.length).toBeLessThan(deltas.length);
  });
});

describe('OpenAIAnswerSource without chatStream', () => {
  it('bot.answer.timeoutMs still ends a hanging call after a garbage collection (AbortSignal.any lost it on Node 20)', async () => {
    const settings = settingsFrom({}, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url });
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    // A client that cannot stream and whose own timeout is longer: only the answer's timeout can end the call.
    const plain = { get: (e: typeof settings.openai) => ({ chat: (req: Parameters<ReturnType<LlmPool['get']>['chat']>[0]) => pool.get(e).chat({ ...req, timeoutMs: 60_000 }) }) };
    const source = new OpenAIAnswerSource(plain, settings.openai, 'answer-1', 'Be brief.', 500);
    fake.hangNext(1);
    const outcome = collect(source.stream(request, new AbortController().signal)).then(
      () => null,
      (e: unknown) => e,
    );
    await vi.waitFor(() => expect(fake.requestsTo('/chat/completions')).toHaveLength(1));
    await nextTurn();
    collectGarbage();
    const error = await outcome;
    expect(error).toMatchObject({ code: 'deadline_exceeded' });
    await vi.waitFor(() => expect(fake.requestsTo('/chat/completions')[0]!.clientClosed).toBe(true));
  });
});
