/**
 * Property-based fuzzing of the filter's text plumbing on chat-shaped input: code fences (closed, unclosed,
 * ``` and ~~~), lists, headings, Slack and Discord mentions, channel links, URLs, emoji, CRLF, tabs and
 * unicode (astral, combining, RTL, ZWJ, line separators) and the placeholder brackets themselves.
 * test/restyle/blocks.test.ts and placeholders.test.ts keep their small-alphabet properties; these add the
 * rich alphabet, the model-reply mutations and the whole filter end to end (fake OpenAI over HTTP).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { joinSegments, splitBlocks } from '../../src/restyle/blocks.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { mentionsIn } from '../../src/restyle/mentions.js';
import { protect, restore, type Protected } from '../../src/restyle/placeholders.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';

const words = fc.constantFrom('Deploy', 'finished', 'the', 'build', 'passed.', 'Ship it!', 'naïve', 'café', 'über', '東京', 'Привет', 'مرحبا', 'שלום', '10:30', 'v1.2.3', 'a/b', '(see)', '"quoted"', '*bold*', '_it_', '~strike~', '**Bold**');
const spans = fc.constantFrom(
  '`npm ci`',
  '``a ` b``',
  'https://example.com/a_(b)?q=1&r=2#x',
  'https://x.io/path.',
  'http://a.io)',
  'www.example.org/x',
  '<https://x.io|the docs>',
  '<mailto:a@b.io|mail>',
  '<@U123ABC>',
  '<@U123ABC|ana>',
  '<#C999|general>',
  '<!here>',
  '<!channel>',
  '<!subteam^S123>',
  '<@112233445566>',
  '<@!112233445566>',
  '<@&998877>',
  '<#445566>',
  '<:party:778899>',
  '<a:wave:123>',
  '<t:1700000000:R>',
  '</restyle:42>',
  ':tada:',
  ':wave::skin-tone-2:',
  '@here',
  '@everyone',
);
const unicode = fc.constantFrom('😀', '👩‍💻', '🇫🇷', 'e\u0301', '\u200d', '\u200b', '\u00a0', '\u2028', '\u3000', '\ufeff', '𝒳', '⟦', '⟧', '⟪', '⟫', '〚', '〛', '⟦0⟧', '⟪1⟫', '〚2〛');
const lines = fc.constantFrom('\n', '\n\n', '\r\n', '\r\n\r\n', '\n\n\n', '\r', '\t', '  ', ' ');
const structure = fc.constantFrom('```', '```js\n', '~~~\n', '````\n', '    ```', '# ', '## Setup\n', '- ', '* ', '+ ', '• ', '1. ', '2) ', '  - ', '\t- ', '> ', 'Steps:\n', '---\n');
const piece = fc.oneof({ weight: 6, arbitrary: words.map((w) => `${w} `) }, { weight: 3, arbitrary: spans }, { weight: 2, arbitrary: unicode }, { weight: 4, arbitrary: lines }, { weight: 3, arbitrary: structure }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) });
/** Chat-shaped text. */
const chatText = fc.array(piece, { maxLength: 80 }).map((parts) => parts.join(''));
const options = fc.record({ maxParagraphs: fc.integer({ min: 1, max: 4 }), maxChars: fc.integer({ min: 20, max: 2000 }) });

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;
const token = (p: Protected, i: number): string => `${p.open}${i}${p.close}`;

describe('splitBlocks on chat-shaped text', () => {
  it('the segments joined give back the input exactly; code is never prose; spaces are only whitespace', () => {
    fc.assert(
      fc.property(chatText, options, (text, opts) => {
        const segments = splitBlocks(text, opts);
        expect(joinSegments(segments)).toBe(text);
        for (const s of segments) {
          expect(s.text.length).toBeGreaterThan(0);
          if (s.kind === 'space') expect(s.text.trim()).toBe('');
          if (s.kind === 'code') expect(s.text).toMatch(FENCE_LINE);
          // A fence line inside prose would send code to the model.
          if (s.kind === 'prose') for (const line of s.text.split('\n')) expect(line).not.toMatch(FENCE_LINE);
          if (s.kind === 'prose') expect(s.text.trim()).not.toBe('');
        }
        // Neighbouring prose blocks are separated by something (blank lines, code): never glued together.
        for (let i = 1; i < segments.length; i++) expect(segments[i - 1]!.kind === 'prose' && segments[i]!.kind === 'prose').toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('placeholders on chat-shaped text', () => {
  it('protect then restore is the identity, and no mention or URL reaches the model', () => {
    fc.assert(
      fc.property(chatText, (text) => {
        const p = protect(text);
        expect(restore(p.text, p)).toBe(text);
        // The spans are the original text's, in order.
        let at = 0;
        for (const span of p.spans) {
          at = text.indexOf(span, at);
          expect(at).toBeGreaterThanOrEqual(0);
          at += span.length;
        }
        // What the model sees has no mention and no link left (a placeholder reads as a word here, as the
        // span it stands for did in the original: "@here@here" has one mention, not two).
        const seen = p.text.split(p.open).map((part, k) => (k === 0 ? part : part.replace(new RegExp(`^\\d+${p.close}`), 'x'))).join('');
        expect([...mentionsIn(seen)]).toEqual([]);
        expect(seen).not.toMatch(/https?:\/\/|<[@#!]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('a reply that keeps every placeholder (moved, re-spaced, reworded around) restores every span exactly once', () => {
    fc.assert(
      fc.property(chatText, fc.integer(), fc.constantFrom('', ' '), (text, seed, pad) => {
        const p = protect(text);
        fc.pre(p.spans.length > 0);
        // The model reorders the placeholders and rewrites everything else.
        const order = p.spans.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const reply = `Arr! ${order.map((i) => `${p.open}${pad}${i}${pad}${p.close}`).join(' and ')}, matey.`;
        const restored = restore(reply, p);
        expect(restored).toBe(`Arr! ${order.map((i) => p.spans[i]).join(' and ')}, matey.`);
      }),
      { numRuns: 500 },
    );
  });

  it('a reply that drops, repeats, invents or mangles a placeholder is detected', () => {
    const mutation = fc.constantFrom('drop', 'repeat', 'invent', 'renumber', 'no-close', 'no-open', 'other-brackets', 'stray-open');
    fc.assert(
      fc.property(chatText, mutation, fc.nat(), (text, kind, pick) => {
        const p = protect(text);
        fc.pre(p.spans.length > 0);
        const i = pick % p.spans.length;
        const t = token(p, i);
        const other = ['⟦', '⟪', '〚'].find((o) => o !== p.open)!;
        const mutated: Record<string, string> = {
          drop: p.text.replace(t, ''),
          repeat: `${p.text} ${t}`,
          invent: `${p.text} ${token(p, p.spans.length)}`,
          renumber: p.text.replace(t, token(p, p.spans.length + i)),
          'no-close': p.text.replace(t, `${p.open}${i}`),
          'no-open': p.text.replace(t, `${i}${p.close}`),
          'other-brackets': p.text.replace(t, `${other}${i}${other === '⟦' ? '⟧' : other === '⟪' ? '⟫' : '〛'}`),
          'stray-open': `${p.text} ${p.open}`,
        };
        expect(restore(mutated[kind]!, p), kind).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the whole filter on chat-shaped text (fake OpenAI over HTTP)', () => {
  let model: FakeOpenAI;
  let store: Store;
  let restyler: Restyler;
  let mode: 'echo' | 'drop-placeholder' | 'add-mention' | 'upper';

  beforeAll(async () => {
    model = await startFakeOpenAI();
    model.setResponder((body: { messages: Array<{ content: string }> }) => {
      const user = body.messages.at(-1)!.content;
      if (mode === 'echo') return user;
      if (mode === 'upper') return user.toUpperCase();
      if (mode === 'add-mention') return `${user} <!channel>`;
      // Drop every placeholder-looking token, whichever brackets the block got (and never reply with nothing,
      // which the filter rightly treats as a failed block too).
      return `${user.replace(/[⟦⟪〚\uE000-\uF8FF]\d+[⟧⟫〛\uE000-\uF8FF]/g, '')} ~`;
    });
    const dir = tmpDir('blocks-fuzz');
    store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
    const settings = settingsFrom({ styles: { s: { model: 'm' } }, restyle: { maxRetries: 0, cacheTtlSeconds: 0, blockConcurrency: 4 } }, { OPENAI_API_KEY: 'sk-fuzz', OPENAI_BASE_URL: model.url });
    restyler = new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
  });
  afterAll(async () => {
    await store?.close();
    await model?.close();
  });

  const nonBlank = chatText.filter((t) => t.trim() !== '');

  it('an echoing model gives back the input byte for byte (split, protect, restore and join lose nothing)', async () => {
    mode = 'echo';
    await fc.assert(
      fc.asyncProperty(nonBlank, async (text) => {
        const r = await restyler.restyle(text, { style: 's' });
        expect(r.text).toBe(text);
        expect(r.fallbacks).toBe(0);
        expect(r.blocks).toBe(splitBlocks(text).filter((s) => s.kind === 'prose').length);
      }),
      { numRuns: 150 },
    );
  });

  it('a model that upper-cases keeps code, whitespace and every protected span exactly', async () => {
    mode = 'upper';
    await fc.assert(
      fc.asyncProperty(nonBlank, async (text) => {
        const r = await restyler.restyle(text, { style: 's' });
        const segments = splitBlocks(text);
        // Code and whitespace segments survive as they were.
        for (const s of segments.filter((x) => x.kind !== 'prose')) expect(r.text).toContain(s.text);
        // Every span protected in a block is in the output at least as often (upper-casing never touches them).
        const spans = segments.filter((x) => x.kind === 'prose').flatMap((x) => protect(x.text).spans);
        for (const span of new Set(spans)) expect(r.text.split(span).length - 1).toBeGreaterThanOrEqual(spans.filter((x) => x === span).length);
        expect(r.text.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('a model that loses a placeholder or adds a mention leaves those blocks as written, and says how many', async () => {
    for (const m of ['drop-placeholder', 'add-mention'] as const) {
      mode = m;
      await fc.assert(
        fc.asyncProperty(nonBlank, async (text) => {
          const prose = splitBlocks(text).filter((s) => s.kind === 'prose');
          const broken = m === 'add-mention' ? prose.filter((s) => !mentionsIn(s.text).has('<!channel>')) : prose.filter((s) => protect(s.text).spans.length > 0);
          const r = await restyler.restyle(text, { style: 's' });
          expect(r.fallbacks, m).toBe(broken.length);
          for (const b of broken) expect(r.text).toContain(b.text);
          if (broken.length === prose.length) expect(r.text).toBe(text);
          expect(r.styled).toBe(prose.length > broken.length);
        }),
        { numRuns: 100 },
      );
    }
  });
});
