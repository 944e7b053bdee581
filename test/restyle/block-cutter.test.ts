/**
 * BlockCutter's incremental push against the algorithm it replaced (kept below as the oracle): the same
 * segments from every push, for texts from this repository's own docs (fences, lists, headings), CRLF
 * variants and fuzzed chat text, split into deltas at random; and work per delta that stays bounded
 * (characters handed to the splitter are counted, never timed).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBlocks, type Segment, type SplitOptions } from '../../src/restyle/blocks.js';
import { BlockCutter } from '../../src/restyle/stream.js';
import { chunks } from '../support/deltas.js';

/** The BlockCutter before it was made incremental (src/restyle/stream.ts at 0c75ab0): re-splits everything held on each newline. */
class OldBlockCutter {
  private buffer = '';
  private taken = 0;

  constructor(private readonly split: (text: string) => Segment[]) {}

  push(delta: string): Segment[] {
    this.buffer += delta;
    if (!delta.includes('\n')) return [];
    const tail = this.buffer.slice(this.taken);
    const settled = tail.slice(0, tail.lastIndexOf('\n') + 1);
    const segments = this.split(settled);
    let last = segments.length - 1;
    while (last >= 0 && segments[last]!.kind === 'space') last -= 1;
    if (last <= 0) return [];
    const final = segments.slice(0, last);
    for (const s of final) this.taken += s.text.length;
    return final;
  }

  end(): Segment[] {
    const tail = this.buffer.slice(this.taken);
    this.taken = this.buffer.length;
    return tail === '' ? [] : this.split(tail);
  }
}

interface Cutter {
  push(delta: string): Segment[];
  end(): Segment[];
}

/** Every push's result, then end's: the whole release schedule, not only the joined output. */
function schedule(cutter: Cutter, deltas: readonly string[]): Segment[][] {
  return [...deltas.map((d) => cutter.push(d)), cutter.end()];
}

/** One line per delta (newline included), the shape that made the old cutter quadratic. */
function lineDeltas(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const root = new URL('../../', import.meta.url);
const docs = ['README.md', 'docs/streaming.md', 'docs/operations.md', 'docs/slack.md', 'docs/training.md'].map((p) => readFileSync(new URL(p, root), 'utf8'));
/** Assistant answers from the OpenAI cookbook's chat fine-tuning file (test/fixtures/openai-cookbook/SOURCES.md). */
const answers = readFileSync(new URL('test/fixtures/openai-cookbook/toy_chat_fine_tuning.jsonl', root), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { messages: Array<{ role: string; content: string }> }).messages.find((m) => m.role === 'assistant')!.content);
const realTexts = [...docs, answers.join('\n\n')];

const words = fc.constantFrom('Deploy', 'finished', 'the', 'build', 'passed.', 'Ship it!', '東京', '10:30', '**Bold**', '`npm ci`', 'Steps:', 'and:');
const breaks = fc.constantFrom('\n', '\n\n', '\r\n', '\r\n\r\n', '\n\n\n', '\t', '  ', ' ', ' \n');
const structure = fc.constantFrom('```', '```js\n', '~~~\n', '````\n', '```\n', '    ```', '# ', '## Setup\n', '- ', '* ', '1. ', '2) ', '  - ', '\t- ', '  indented ', '> ', 'Steps:\n', '---\n', '**Title**\n');
const piece = fc.oneof({ weight: 6, arbitrary: words.map((w) => `${w} `) }, { weight: 5, arbitrary: breaks }, { weight: 4, arbitrary: structure });
const chatText = fc.array(piece, { maxLength: 150 }).map((parts) => parts.join(''));
const options: fc.Arbitrary<SplitOptions> = fc.record(
  { maxParagraphs: fc.integer({ min: 1, max: 4 }), maxChars: fc.integer({ min: 20, max: 1500 }), maxBlocks: fc.integer({ min: 1, max: 40 }) },
  { requiredKeys: ['maxParagraphs', 'maxChars'] },
);
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 });

const same = (text: string, deltas: string[], opts: SplitOptions): void => {
  const split = (t: string): Segment[] => splitBlocks(t, opts);
  expect(schedule(new BlockCutter(split), deltas)).toEqual(schedule(new OldBlockCutter(split), deltas));
};

describe('BlockCutter.push (incremental) releases exactly what the re-splitting cutter released', () => {
  it('fuzzed chat text, any delta splitting, any splitter options', () => {
    fc.assert(
      fc.property(chatText, cuts, options, (text, c, opts) => same(text, chunks(text, c), opts)),
      { numRuns: 800 },
    );
  });

  it('fuzzed chat text one line per delta', () => {
    fc.assert(
      fc.property(chatText, options, (text, opts) => same(text, lineDeltas(text), opts)),
      { numRuns: 400 },
    );
  });

  it("this repository's docs and the cookbook's answers, as written and with CRLF, in random deltas and one line per delta", () => {
    fc.assert(
      fc.property(fc.constantFrom(...realTexts), fc.boolean(), cuts, options, (doc, crlf, c, opts) => {
        const text = crlf ? doc.replace(/\n/g, '\r\n') : doc;
        same(text, chunks(text, c), opts);
      }),
      { numRuns: 60 },
    );
    for (const doc of realTexts) {
      same(doc, lineDeltas(doc), {});
      same(doc.replace(/\n/g, '\r\n'), lineDeltas(doc.replace(/\n/g, '\r\n')), { maxBlocks: 32 });
    }
  });
});

describe('BlockCutter.push work per delta', () => {
  /**
   * Characters handed to the splitter over a whole stream, and the most in one push: the work the cutter
   * causes. (end() splits what is still held once; that call is counted in `chars` only.)
   */
  function splitCost(make: (split: (t: string) => Segment[]) => Cutter, deltas: readonly string[], opts: SplitOptions = {}): { chars: number; most: number; joined: string } {
    let chars = 0;
    let most = 0;
    let ending = false;
    const cutter = make((t) => {
      chars += t.length;
      if (!ending) most = Math.max(most, t.length);
      return splitBlocks(t, opts);
    });
    const out = deltas.flatMap((d) => cutter.push(d));
    ending = true;
    out.push(...cutter.end());
    return { chars, most, joined: out.map((s) => s.text).join('') };
  }

  const N = 20_000;
  const streams: Record<string, string[]> = {
    'a code fence never closed': ['```ts\n', ...Array.from({ length: N }, (_, i) => `const line${i} = ${i};\n`)],
    'a code fence closed, then blank lines': ['```\n', ...Array.from({ length: N / 2 }, (_, i) => `x = ${i}\n`), '```\n', ...Array.from({ length: N / 2 }, () => '\n')],
    'an upstream repeating "- item"': Array.from({ length: N }, () => '- item\n'),
    'a loose list (blank line between items), CRLF': Array.from({ length: N }, (_, i) => `- item ${i}\r\n\r\n`),
    '"Steps:" then a loose list with indented notes': ['Steps:\n', '\n', ...Array.from({ length: N }, (_, i) => (i % 2 ? `  note ${i}\n\n` : `${i}. step\n\n`))],
    'one paragraph that never ends': Array.from({ length: N }, (_, i) => `sentence ${i} goes on,\n`),
    'paragraphs': Array.from({ length: N }, (_, i) => `Paragraph ${i} is short.\n\n`),
    'headings and paragraphs': Array.from({ length: N }, (_, i) => (i % 3 ? `Text ${i}.\n\n` : `## Part ${i}\n`)),
  };

  for (const [name, deltas] of Object.entries(streams)) {
    it(`${name}: ${N.toLocaleString('en')} one-line deltas; the splitter reads each character a bounded number of times`, () => {
      const input = deltas.join('');
      const { chars, joined } = splitCost((s) => new BlockCutter(s), deltas);
      expect(joined).toBe(input);
      expect(chars).toBeLessThanOrEqual(5 * input.length);
      // With the restyler's bound (restyle.maxChars, 40,000 by default) no single push splits more than that.
      const bounded = splitCost((s) => new BlockCutter(s, 40_000), deltas);
      expect(bounded.joined).toBe(input);
      expect(bounded.most).toBeLessThanOrEqual(40_000 + 30);
    });
  }

  it('maxBlocks 1 (every paragraph merges into one block): maxPending still bounds each split', () => {
    const deltas = streams.paragraphs!;
    const input = deltas.join('');
    const { most, joined } = splitCost((s) => new BlockCutter(s, 40_000), deltas, { maxBlocks: 1 });
    expect(joined).toBe(input);
    expect(most).toBeLessThanOrEqual(40_000 + 30);
  });

  it('the old cutter on the same fence, as the baseline: its work grows with the square of the lines', () => {
    const deltas = streams['a code fence never closed']!.slice(0, 2001);
    const input = deltas.join('');
    const old = splitCost((s) => new OldBlockCutter(s), deltas);
    const now = splitCost((s) => new BlockCutter(s), deltas);
    expect(old.joined).toBe(input);
    // ~n²/2 over 2,000 lines: about 1,000 times the input, where the new cutter reads it about once.
    expect(old.chars).toBeGreaterThan(500 * input.length);
    expect(now.chars).toBeLessThanOrEqual(2 * input.length);
  });
});

describe('BlockCutter maxPending', () => {
  it('a fence never closed is handed out once more than maxPending characters are held, and cutting starts afresh', () => {
    const cutter = new BlockCutter((t) => splitBlocks(t), 1000);
    const released: Segment[][] = [];
    const deltas = ['Intro.\n\n', '```\n', ...Array.from({ length: 500 }, (_, i) => `line ${i}\n`)];
    for (const d of deltas) released.push(cutter.push(d));
    const before = released.flat();
    // Held text never exceeds the bound by more than one delta.
    expect(before.map((s) => s.text).join('').length).toBeGreaterThan(deltas.join('').length - 1000);
    expect(before.filter((s) => s.kind === 'code').length).toBeGreaterThan(0);
    const all = [...before, ...cutter.end()];
    expect(all.map((s) => s.text).join('')).toBe(deltas.join(''));
  });

  it('a line that never ends is handed out past the bound too', () => {
    const cutter = new BlockCutter((t) => splitBlocks(t), 100);
    let out: Segment[] = [];
    for (let i = 0; i < 50 && out.length === 0; i++) out = cutter.push('word ');
    expect(out.map((s) => s.text).join('')).toBe('word '.repeat(21));
  });

  it('a whole answer longer than the bound in one delta is cut as before (the usual release, then the rest)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realTexts), options, (text, opts) => {
        const split = (t: string): Segment[] => splitBlocks(t, opts);
        expect(schedule(new BlockCutter(split, 1000), [text]).flat()).toEqual(schedule(new OldBlockCutter(split), [text]).flat());
      }),
      { numRuns: 30 },
    );
  });

  it('below the bound nothing changes: the same release schedule as without one', () => {
    fc.assert(
      fc.property(chatText, cuts, (text, c) => {
        const split = (t: string): Segment[] => splitBlocks(t);
        const deltas = chunks(text, c);
        expect(schedule(new BlockCutter(split, text.length), deltas)).toEqual(schedule(new OldBlockCutter(split), deltas));
      }),
      { numRuns: 200 },
    );
  });
});
