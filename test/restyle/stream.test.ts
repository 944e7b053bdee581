import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFrom, type Settings } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { Restyler, type StyledBlock } from '../../src/restyle/restyler.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { DeltaQueue } from '../support/deltas.js';
import { tmpDir } from '../support/tmp.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

let store: Store;

const ANSWER = ['First, the build passed.', 'Second, the deploy finished at 10:30.', 'Third, see https://example.com/Docs for <@U123>.', 'Fourth, nothing else.', 'Fifth and last.'].join('\n\n');

const fake = useFakeOpenAI();
beforeEach(async () => {
  const dir = tmpDir('stream');
  store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
  fake.reset();
  // The answer model answers ANSWER; the style model upper-cases its block (placeholders kept).
  fake.setResponder((body) => (body.model === 'answer-1' ? ANSWER : (body.messages.at(-1).content as string).toUpperCase()));
});
afterEach(async () => {
  await store.close();
});

function make(restyle: Record<string, unknown> = {}): { restyler: Restyler; pool: LlmPool; settings: Settings } {
  const settings = settingsFrom(
    { styles: { loud: { model: 'loud-1' } }, restyle: { maxRetries: 0, requestTimeoutMs: 5000, maxBlockParagraphs: 1, ...restyle } },
    { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url },
  );
  const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
  return { restyler: new Restyler({ settings, store, llm: pool }), pool, settings };
}

const styleCalls = () => fake.requestsTo('/chat/completions').filter((r) => r.body.model === 'loud-1');

async function collect(stream: AsyncGenerator<StyledBlock, unknown>): Promise<{ blocks: StyledBlock[]; result: unknown }> {
  const blocks: StyledBlock[] = [];
  for (let n = await stream.next(); ; n = await stream.next()) {
    if (n.done) return { blocks, result: n.value };
    blocks.push(n.value);
  }
}

describe('Restyler.stream', () => {
  it('styles a block while the rest is still arriving, and releases blocks in order', async () => {
    const { restyler } = make();
    const input = new DeltaQueue();
    const seen: StyledBlock[] = [];
    const done = (async () => {
      const stream = restyler.stream(input, { style: 'loud' });
      for await (const b of stream) seen.push(b);
    })();
    input.push('First, the build ');
    input.push('passed.\n\nSecond, the');
    input.push(' deploy finished.\n');
    // Block 1 is final once block 2's first line is complete: it comes out while the input is still open.
    await vi.waitFor(() => expect(seen.map((b) => b.text)).toEqual(['FIRST, THE BUILD PASSED.', '\n\n']));
    input.push('\nThird.');
    input.end();
    await done;
    expect(seen.map((b) => b.index)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.map((b) => b.text).join('')).toBe('FIRST, THE BUILD PASSED.\n\nSECOND, THE DEPLOY FINISHED.\n\nTHIRD.');
  });

  it('a code fence that never closes is handed out, as written, once it holds more than restyle.maxChars', async () => {
    const { restyler } = make({ maxChars: 2000 });
    const input = new DeltaQueue();
    const seen: StyledBlock[] = [];
    const done = (async () => {
      for await (const b of restyler.stream(input, { style: 'loud' })) seen.push(b);
    })();
    input.push('Here is the log.\n\n```\n');
    const lines = Array.from({ length: 300 }, (_, i) => `log line ${i}\n`);
    for (const line of lines) input.push(line);
    // The input is still open and the fence unclosed: only the bound can release it.
    await vi.waitFor(() => expect(seen.some((b) => b.kind === 'code' && b.text.includes('log line 100'))).toBe(true));
    input.end();
    await done;
    expect(seen.map((b) => b.text).join('')).toBe(`HERE IS THE LOG.\n\n\`\`\`\n${lines.join('')}`);
    expect(seen.filter((b) => b.styled).map((b) => b.text)).toEqual(['HERE IS THE LOG.']);
  });

  it('a stream of many short paragraphs costs at most restyle.maxBlocks style calls; the rest pass as written', async () => {
    const { restyler } = make({ maxBlocks: 4 });
    const input = new DeltaQueue();
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph number ${i} says one thing.`);
    const done = collect(restyler.stream(input, { style: 'loud' }));
    for (const p of paragraphs) input.push(`${p}\n\n`);
    input.end();
    const { blocks } = await done;
    expect(styleCalls()).toHaveLength(4);
    expect(blocks.filter((b) => b.styled)).toHaveLength(4);
    expect(blocks.filter((b) => b.reason === 'max_blocks')).toHaveLength(paragraphs.length - 4);
    expect(blocks.map((b) => b.text).join('')).toBe(`${paragraphs.slice(0, 4).map((p) => p.toUpperCase()).join('\n\n')}\n\n${paragraphs.slice(4).join('\n\n')}\n\n`);
  });

  it('keeps the order when an earlier block takes longer to style', async () => {
    const { restyler } = make();
    const release: Array<() => void> = [];
    fake.setResponder(async (body) => {
      const text = body.messages.at(-1).content as string;
      if (text.startsWith('Slow')) await new Promise<void>((resolve) => release.push(resolve));
      return text.toUpperCase();
    });
    const input = new DeltaQueue();
    input.push('Slow one.\n\nQuick two.\n\nQuick three.');
    input.end();
    const seen: string[] = [];
    const done = (async () => {
      for await (const b of restyler.stream(input, { style: 'loud' })) seen.push(b.text);
    })();
    // Both quick blocks are styled while the slow one is held, yet nothing is released before it.
    await vi.waitFor(() => expect(styleCalls()).toHaveLength(3));
    expect(seen).toEqual([]);
    release.forEach((r) => r());
    await done;
    expect(seen.join('')).toBe('SLOW ONE.\n\nQUICK TWO.\n\nQUICK THREE.');
  });

  it('gives the same text and summary as restyle() on the whole answer (one code path)', async () => {
    const { restyler, pool } = make();
    fake.setStreamRate(500);
    const whole = await restyler.restyle(ANSWER, { style: 'loud', cache: false });
    const deltas = pool.get(make().settings.openai).chatStream({ model: 'answer-1', messages: [{ role: 'user', content: 'hi' }] });
    const { blocks, result } = await collect(restyler.stream(deltas, { style: 'loud', cache: false }));
    expect(blocks.map((b) => b.text).join('')).toBe(whole.text);
    expect(result).toMatchObject({ text: whole.text, styled: true, blocks: whole.blocks, fallbacks: 0, style: 'loud', model: 'loud-1' });
    // The URL and the mention never reached the style model, streamed or not.
    expect(styleCalls().some((r) => JSON.stringify(r.body).includes('example.com') || JSON.stringify(r.body).includes('U123'))).toBe(false);
    expect(whole.text).toContain('https://example.com/Docs');
  });

  it('answers blocks from the cache per block, streamed as on the whole path', async () => {
    const { restyler } = make();
    await restyler.restyle(ANSWER, { style: 'loud' });
    const before = styleCalls().length;
    const input = new DeltaQueue();
    for (const piece of ANSWER.match(/\s*\S+\s*/g)!) input.push(piece);
    input.end();
    const { result } = await collect(restyler.stream(input, { style: 'loud' }));
    expect(styleCalls()).toHaveLength(before);
    expect(result).toMatchObject({ cached: 5, blocks: 5, styled: true });
  });

  it('never lets a block add a mention: that block is released as written, flagged', async () => {
    const { restyler } = make();
    fake.setResponder((body) => {
      const text = body.messages.at(-1).content as string;
      return text.startsWith('Second') ? `${text} <!channel>` : text.toUpperCase();
    });
    const input = new DeltaQueue();
    input.push('First.\n\nSecond.\n\nThird.');
    input.end();
    const { blocks, result } = await collect(restyler.stream(input, { style: 'loud', cache: false }));
    expect(blocks.filter((b) => b.kind === 'prose').map((b) => [b.text, b.styled, b.reason])).toEqual([
      ['FIRST.', true, undefined],
      ['Second.', false, 'mentions'],
      ['THIRD.', true, undefined],
    ]);
    expect(result).toMatchObject({ fallbacks: 1, styled: true });
  });

  it('upstream cut mid-answer: the finished blocks are styled, the unfinished rest comes through unstyled, and the summary says so', async () => {
    const { restyler, pool, settings } = make();
    // Three paragraphs arrive (the third one complete but not yet final), then the connection drops.
    fake.cutNextStream(15);
    const deltas = pool.get(settings.openai).chatStream({ model: 'answer-1', messages: [{ role: 'user', content: 'hi' }] });
    const { blocks, result } = await collect(restyler.stream(deltas, { style: 'loud', cache: false }));
    const received = ANSWER.match(/\s*\S+\s*/g)!.slice(0, 15).join('');
    expect(blocks.map((b) => b.original).join('')).toBe(received);
    expect(blocks.filter((b) => b.kind === 'prose' && b.styled).map((b) => b.text)).toEqual(['FIRST, THE BUILD PASSED.', 'SECOND, THE DEPLOY FINISHED AT 10:30.']);
    const rest = blocks.filter((b) => b.reason === 'cut');
    expect(rest.length).toBeGreaterThan(0);
    // The cut-off text is passed on exactly as it arrived, never sent to the style model.
    expect(rest.every((b) => b.text === b.original)).toBe(true);
    expect(styleCalls().some((r) => String(r.body.messages.at(-1).content).startsWith('Third'))).toBe(false);
    expect(result).toMatchObject({ incomplete: { code: expect.stringMatching(/^llm_/), received: received.length } });
  });

  it('styler failing mid-stream: later blocks come through unstyled and flagged, and no more model calls are made', async () => {
    const { restyler } = make();
    const input = new DeltaQueue();
    const seen: StyledBlock[] = [];
    const stream = restyler.stream(input, { style: 'loud', cache: false });
    const done = (async () => {
      for (let n = await stream.next(); ; n = await stream.next()) {
        if (n.done) return n.value;
        seen.push(n.value);
      }
    })();
    input.push('One.\n\nTwo.\n');
    await vi.waitFor(() => expect(seen[0]?.text).toBe('ONE.'));
    fake.failNext(1, { status: 500 });
    input.push('\nThree.\n');
    await vi.waitFor(() => expect(seen.find((b) => b.original === 'Two.')?.reason).toBe('llm_unavailable'));
    input.push('\nFour.');
    input.end();
    const result = await done;
    expect(seen.filter((b) => b.kind === 'prose').map((b) => [b.text, b.reason])).toEqual([
      ['ONE.', undefined],
      ['Two.', 'llm_unavailable'],
      ['Three.', 'llm_unavailable'],
      ['Four.', 'llm_unavailable'],
    ]);
    expect(styleCalls()).toHaveLength(2);
    expect(result).toMatchObject({ styled: true, reason: 'llm_unavailable', error: { code: 'llm_unavailable' } });
  });

  it('cancelling (the caller aborts) ends the stream and cancels the styling call in flight', async () => {
    const { restyler } = make({ requestTimeoutMs: 30_000 });
    const input = new DeltaQueue();
    const controller = new AbortController();
    fake.hangNext(1);
    input.push('Hangs.\n\nNext.\n');
    const seen: StyledBlock[] = [];
    const done = (async () => {
      for await (const b of restyler.stream(input, { style: 'loud', cache: false, signal: controller.signal })) seen.push(b);
    })();
    await vi.waitFor(() => expect(styleCalls()).toHaveLength(1));
    controller.abort();
    await done;
    await vi.waitFor(() => expect(styleCalls()[0]!.clientClosed).toBe(true));
    expect(seen.every((b) => !b.styled)).toBe(true);
    expect(seen.map((b) => b.original).join('')).toBe('Hangs.\n\nNext.\n');
  });

  it('a consumer that stops early cancels the styling calls in flight', async () => {
    const { restyler } = make({ requestTimeoutMs: 30_000 });
    const input = new DeltaQueue();
    input.push('Quick.\n\nHangs.\n\nMore.\n');
    fake.setResponder(async (body) => {
      const text = body.messages.at(-1).content as string;
      if (text.startsWith('Hangs')) await new Promise(() => undefined);
      return text.toUpperCase();
    });
    for await (const b of restyler.stream(input, { style: 'loud', cache: false })) {
      if (b.kind === 'prose') break;
    }
    const hung = () => styleCalls().find((r) => String(r.body.messages.at(-1).content).startsWith('Hangs'));
    await vi.waitFor(() => expect(hung()?.clientClosed).toBe(true));
  });
});
