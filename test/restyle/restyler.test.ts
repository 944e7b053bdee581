import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFrom, type Settings } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { LlmPool } from '../../src/llm/pool.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { RestyleError } from '../../src/errors.js';
import { collectGarbage } from '../support/gc.js';
import { tmpDir } from '../support/tmp.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

let store: Store;
let dir: string;

const fake = useFakeOpenAI();
beforeEach(async () => {
  dir = tmpDir('filter');
  store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
  fake.reset();
  // A deterministic "style": upper-case the user message, keep placeholders as they are.
  fake.setResponder((body) => {
    const user = body.messages.find((m: { role: string }) => m.role === 'user')!.content as string;
    const system = body.messages[0].content as string;
    if (system.startsWith('DESTYLE')) return user.toLowerCase();
    return user.toUpperCase();
  });
});
afterEach(async () => {
  await store.close();
});

function make(extra: Record<string, unknown> = {}, restyle: Record<string, unknown> = {}): { restyler: Restyler; settings: Settings } {
  const settings = settingsFrom(
    {
      styles: {
        loud: { model: 'loud-1' },
        quiet: { model: 'quiet-1', destyler: 'quiet-de', destylerPrompt: 'DESTYLE it:' },
        toned: { model: 'toned-1', prompt: 'Write in a {{tone}} tone:' },
      },
      channels: { 'slack:C1': 'loud' },
      restyle: { maxRetries: 0, requestTimeoutMs: 2000, ...restyle },
      ...extra,
    },
    { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url },
  );
  return { restyler: new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) }), settings };
}

const chatRequests = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

describe('Restyler', () => {
  it('logs "failed open" when it fails open, not when the caller asked for the error (onError: error), who says it', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const settings = make().settings;
    const restyler = new Restyler({ settings, store, logger, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
    fake.failNext(2, { status: 401 });
    await expect(restyler.restyle('Your order shipped.', { style: 'loud', onError: 'error' })).rejects.toMatchObject({ code: 'llm_auth' });
    expect(lines).toEqual([]);
    const open = await restyler.restyle('Your order shipped.', { style: 'loud', onError: 'original' });
    expect(open).toMatchObject({ styled: false, reason: 'llm_auth' });
    expect(lines.map((l) => JSON.parse(l).msg as string)).toEqual([expect.stringMatching(/^restyle failed open: /)]);
  });

  it('styles text with an explicit style and reports model, blocks and usage', async () => {
    const { restyler } = make();
    const r = await restyler.restyle('Your order shipped.', { style: 'loud' });
    expect(r).toMatchObject({ text: 'YOUR ORDER SHIPPED.', styled: true, style: 'loud', model: 'loud-1', blocks: 1, fallbacks: 0, cached: 0 });
    expect(r.usage.totalTokens).toBeGreaterThan(0);
    const body = chatRequests()[0]!.body;
    expect(body.model).toBe('loud-1');
    expect(body.messages).toEqual([
      { role: 'system', content: 'Please, rewrite the provided text in your style:' },
      { role: 'user', content: 'Your order shipped.' },
    ]);
  });

  it('resolves the channel mapping; the store wins over the file; unmapped passes through', async () => {
    const { restyler } = make();
    expect((await restyler.restyle('hi', { channel: 'slack:C1' })).style).toBe('loud');
    await restyler.channels.set('slack:C1', 'quiet', 'slack:U1');
    expect((await restyler.restyle('hi', { channel: 'slack:C1' })).model).toBe('quiet-1');
    await restyler.channels.unset('slack:C1');
    const r = await restyler.restyle('hi', { channel: 'slack:C1' });
    expect(r).toMatchObject({ text: 'hi', styled: false, reason: 'no_style' });
    expect((await restyler.restyle('hi', { channel: 'slack:C2' })).reason).toBe('no_style');
  });

  it('uses channels.default, then a style named default', async () => {
    const { restyler } = make({ channels: { default: 'loud' } });
    expect((await restyler.restyle('hi', { channel: 'discord:42' })).style).toBe('loud');
    const only = make({ styles: { default: { model: 'd-1' } }, channels: {} });
    expect((await only.restyler.restyle('hi')).model).toBe('d-1');
  });

  it('empty text comes back unchanged with no model call', async () => {
    const { restyler } = make();
    const r = await restyler.restyle('  \n ', { style: 'loud' });
    expect(r).toMatchObject({ text: '  \n ', styled: false, reason: 'empty' });
    expect(chatRequests()).toHaveLength(0);
  });

  it('refuses text over maxChars, names the limit', async () => {
    const { restyler } = make({}, { maxChars: 100 });
    await expect(restyler.restyle('x'.repeat(101), { style: 'loud' })).rejects.toMatchObject({ code: 'text_too_long' });
  });

  it('unknown explicit style is an error listing the known styles', async () => {
    const { restyler } = make();
    const e = await restyler.restyle('hi', { style: 'nope' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RestyleError);
    expect((e as RestyleError).message).toContain('known styles: loud, quiet, toned');
  });

  it('fills prompt parameters and names a missing one', async () => {
    const { restyler } = make();
    await expect(restyler.restyle('hi', { style: 'toned' })).rejects.toMatchObject({ code: 'param_missing' });
    await restyler.restyle('hi', { style: 'toned', params: { tone: 'wry' } });
    expect(chatRequests().at(-1)!.body.messages[0].content).toBe('Write in a wry tone:');
  });

  it('splits long text into blocks, styles them concurrently, keeps code and separators', async () => {
    const { restyler } = make();
    fake.setLatency(100);
    const paras = Array.from({ length: 9 }, (_, i) => `Paragraph number ${i}.`);
    const text = `${paras.slice(0, 3).join('\n\n')}\n\n\`\`\`\nkeep me\n\`\`\`\n\n${paras.slice(3).join('\n\n')}\n`;
    const r = await restyler.restyle(text, { style: 'loud' });
    fake.setLatency(0);
    expect(r.blocks).toBe(3);
    expect(r.text).toBe(text.replace(/Paragraph number/g, 'PARAGRAPH NUMBER'));
    expect(r.text).toContain('```\nkeep me\n```');
    expect(chatRequests()).toHaveLength(3);
    expect(chatRequests().every((q) => !JSON.stringify(q.body).includes('keep me'))).toBe(true);
  });

  it('protects URLs, code and mentions; a reply that breaks a placeholder falls back for that block', async () => {
    const { restyler } = make({}, { maxBlockParagraphs: 1 });
    const text = 'See https://example.com/Docs and `npm ci`, <@U123>.\n\nSecond block.';
    const r = await restyler.restyle(text, { style: 'loud', cache: false });
    expect(r.text).toBe('SEE https://example.com/Docs AND `npm ci`, <@U123>.\n\nSECOND BLOCK.');
    // The model sees placeholders, not the spans.
    expect(JSON.stringify(chatRequests()[0]!.body)).not.toContain('example.com');
    fake.setResponder((body) => (body.messages[1].content as string).replace(/[⟦⟧]/g, '').toUpperCase());
    const broken = await restyler.restyle(text, { style: 'loud', cache: false });
    expect(broken.fallbacks).toBe(1);
    expect(broken.text).toBe('See https://example.com/Docs and `npm ci`, <@U123>.\n\nSECOND BLOCK.');
    expect(broken.styled).toBe(true);
  });

  it('a reply that is empty or runs on (over 4× the block plus 200 characters) keeps the block as written and is not cached', async () => {
    const { restyler } = make({}, { maxBlockParagraphs: 1 });
    const text = 'Deploy done.\n\nSecond block.';
    // A fine-tuned model stuck in a repetition loop: 2 MB for a 12-character block would flood the channel.
    fake.setResponder((body) => ((body.messages[1].content as string).startsWith('Deploy') ? 'AYE. '.repeat(400_000) : (body.messages[1].content as string).toUpperCase()));
    const loop = await restyler.stream(
      (async function* () {
        yield text;
      })(),
      { style: 'loud' },
    );
    const blocks = [];
    let next = await loop.next();
    while (!next.done) {
      blocks.push(next.value);
      next = await loop.next();
    }
    expect(blocks.filter((b) => b.kind === 'prose').map((b) => [b.text, b.reason])).toEqual([
      ['Deploy done.', 'reply_too_long'],
      ['SECOND BLOCK.', undefined],
    ]);
    expect(next.value).toMatchObject({ text: 'Deploy done.\n\nSECOND BLOCK.', fallbacks: 1, styled: true });
    // The rejected reply was not cached: asked again, the model is asked again.
    fake.setResponder((body) => (body.messages[1].content as string).toUpperCase());
    const before = chatRequests().length;
    expect(await restyler.restyle('Deploy done.', { style: 'loud' })).toMatchObject({ text: 'DEPLOY DONE.', fallbacks: 0 });
    expect(chatRequests().length).toBe(before + 1);
    // Within the bound is a styling: 4 × 11 + 200 characters.
    fake.setResponder(() => 'A'.repeat(4 * 'Build done.'.length + 200));
    expect(await restyler.restyle('Build done.', { style: 'loud' })).toMatchObject({ fallbacks: 0, styled: true });
    fake.setResponder(() => '');
    expect(await restyler.restyle('Tests pass.\n\nAll green.', { style: 'loud' })).toMatchObject({ text: 'Tests pass.\n\nAll green.', fallbacks: 2, styled: false });
  });

  it('never adds a mention the original lacked', async () => {
    const { restyler } = make();
    fake.setResponder(() => 'Hear ye <!channel>!');
    const r = await restyler.restyle('Deploy done.', { style: 'loud', cache: false });
    expect(r).toMatchObject({ text: 'Deploy done.', fallbacks: 1, styled: false });
  });

  it('caches by (endpoint, model, messages): the second call makes no request', async () => {
    const { restyler } = make();
    const first = await restyler.restyle('Cache me.', { style: 'loud' });
    const second = await restyler.restyle('Cache me.', { style: 'loud' });
    expect(second.text).toBe(first.text);
    expect(second.cached).toBe(1);
    expect(chatRequests()).toHaveLength(1);
    await restyler.restyle('Cache me.', { style: 'loud', cache: false });
    expect(chatRequests()).toHaveLength(2);
  });

  it('converts: the source style de-styler first, then the target styler', async () => {
    const { restyler } = make();
    const r = await restyler.restyle('MiXeD CaSe', { style: 'loud', from: 'quiet' });
    expect(r.text).toBe('MIXED CASE');
    const models = chatRequests().map((q) => q.body.model);
    expect(models).toEqual(['quiet-de', 'loud-1']);
    expect(chatRequests()[0]!.body.messages[0].content).toBe('DESTYLE it:');
    await expect(restyler.restyle('x', { style: 'quiet', from: 'loud' })).rejects.toMatchObject({ code: 'input_invalid' });
  });

  it('fails open on model errors by default, and throws with onError: error', async () => {
    const { restyler } = make();
    fake.failNext(1, { status: 500 });
    const r = await restyler.restyle('Hello.', { style: 'loud', cache: false });
    expect(r).toMatchObject({ text: 'Hello.', styled: false, style: 'loud' });
    expect(r.error?.code).toBe('llm_unavailable');
    fake.failNext(1, { status: 500 });
    await expect(restyler.restyle('Hello.', { style: 'loud', cache: false, onError: 'error' })).rejects.toMatchObject({ code: 'llm_unavailable' });
  });

  it('a permanent 429 that outlasts the deadline says it was rate limited, not only that it took long', async () => {
    const { restyler } = make({}, { requestTimeoutMs: 60_000, maxRetries: 5 });
    fake.failNext(100, { status: 429, headers: { 'retry-after': '30' } });
    const r = await restyler.restyle('Hello.', { style: 'loud', cache: false, deadlineMs: 300 });
    expect(r).toMatchObject({ text: 'Hello.', styled: false, reason: 'deadline_exceeded' });
    expect(r.error?.message).toMatch(/^restyling took longer than 300 ms \(restyle\.deadlineMs\): the model endpoint was rate limiting \(.*rate limited.*\(429\); retry after 30000 ms\)$/);
    fake.reset();
  });

  it('a hanging model is cut off by the per-answer deadline', async () => {
    // The model hangs and the request timeout outlasts the test: only the deadline can end this.
    const { restyler } = make({}, { requestTimeoutMs: 60_000 });
    fake.hangNext(1);
    const r = await restyler.restyle('Hello.', { style: 'loud', cache: false, deadlineMs: 300 });
    expect(r).toMatchObject({ text: 'Hello.', styled: false });
    expect(r.error?.code).toBe('deadline_exceeded');
  });

  it('the per-answer deadline still cuts a hanging model off after a garbage collection', async () => {
    const { restyler } = make({}, { requestTimeoutMs: 60_000 });
    fake.hangNext(1);
    const pending = restyler.restyle('Hello.', { style: 'loud', cache: false, deadlineMs: 500 });
    await vi.waitFor(() => expect(chatRequests()).toHaveLength(1));
    await nextTurn();
    collectGarbage();
    const r = await pending;
    expect(r).toMatchObject({ text: 'Hello.', styled: false, reason: 'deadline_exceeded' });
  });

  it('one answer of 5,800 one-line paragraphs makes at most restyle.maxBlocks model calls', async () => {
    const { restyler } = make({}, { maxBlocks: 20, maxChars: 80_000 });
    const text = Array.from({ length: 5800 }, (_, i) => `Line ${i}.`).join('\n\n');
    const r = await restyler.restyle(text, { style: 'loud', cache: false });
    expect(r.styled).toBe(true);
    expect(r.text).toBe(text.toUpperCase());
    expect(r.blocks).toBeLessThanOrEqual(20);
    expect(chatRequests().length).toBe(r.blocks);
  });

  it('overload: answers whose model calls cannot finish within the deadline fail open at once (reason overloaded) instead of queueing', async () => {
    const { restyler } = make({ llm: { concurrency: 2 } }, { deadlineMs: 6000 });
    fake.setLatency(200);
    try {
      // One call teaches the filter how long a call takes.
      expect((await restyler.restyle('Warm up.', { style: 'loud', cache: false })).styled).toBe(true);
      const results = await Promise.all(Array.from({ length: 150 }, (_, i) => restyler.restyle(`Answer number ${i}.`, { style: 'loud', cache: false })));
      const overloaded = results.filter((r) => r.reason === 'overloaded');
      const styled = results.filter((r) => r.styled);
      expect(styled.length).toBeGreaterThan(0);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(styled.length + overloaded.length).toBe(150);
      for (const r of overloaded) {
        expect(r.text).toMatch(/^Answer number \d+\.$/);
        expect(r.error).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/cannot finish this answer within 6000 ms/) });
      }
      // Refused answers never reached the model, and none waited in the queue until its deadline.
      expect(chatRequests()).toHaveLength(1 + styled.length);
      expect(results.filter((r) => r.reason === 'deadline_exceeded')).toEqual([]);
      await expect(restyler.restyle('x', { style: 'loud', cache: false, onError: 'error' })).resolves.toMatchObject({ styled: true });
    } finally {
      fake.setLatency(0);
    }
  });

  it('caches only accepted replies: after a rejected reply, a fixed model styles the same input', async () => {
    const { restyler } = make();
    // A broken model: adds a broadcast mention, so the block is rejected and kept as written.
    fake.setResponder(() => 'HEAR YE <!channel>');
    const first = await restyler.restyle('Deploy done.', { style: 'loud' });
    expect(first).toMatchObject({ text: 'Deploy done.', styled: false, fallbacks: 1 });
    // Also a reply that breaks a placeholder.
    fake.setResponder(() => 'SEE THE LINK');
    expect(await restyler.restyle('See https://example.com/a', { style: 'loud' })).toMatchObject({ styled: false, fallbacks: 1 });
    // The model is fixed: the same inputs are styled, from the model, not from the cache.
    fake.setResponder((body) => String(body.messages.at(-1).content).toUpperCase());
    const second = await restyler.restyle('Deploy done.', { style: 'loud' });
    expect(second).toMatchObject({ text: 'DEPLOY DONE.', styled: true, cached: 0 });
    expect((await restyler.restyle('See https://example.com/a', { style: 'loud' })).styled).toBe(true);
    // An accepted reply is cached as before.
    expect(await restyler.restyle('Deploy done.', { style: 'loud' })).toMatchObject({ text: 'DEPLOY DONE.', cached: 1 });
  });
});
