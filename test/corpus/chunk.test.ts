import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunk, splitLong } from '../../src/corpus/chunk.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/corpus');
const paragraphs = (block: string): number => block.split(/\n{2,}/).length;
const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

describe('chunk', () => {
  it('makes blocks of 1–3 paragraphs within the character limit, losing no words', () => {
    const text = readFileSync(resolve(FIXTURES, 'federalist/01.md'), 'utf8');
    const blocks = chunk(text, { maxChars: 1500, maxParagraphs: 3 });
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) expect(b.length).toBeLessThanOrEqual(1500);
    // More than 3 paragraphs only where very short lines (the title, the byline) were merged in.
    for (const b of blocks.filter((x) => paragraphs(x) > 3)) expect(b.split(/\n{2,}/).filter((p) => p.length < 80).length).toBeGreaterThanOrEqual(paragraphs(b) - 3);
    expect(blocks[0]).toMatch(/^# FEDERALIST No\. 1\n\nGeneral Introduction/);
    expect(words(blocks.join(' '))).toEqual(words(text));
  });

  it('a heading starts a new block and is never merged onto the block before it', () => {
    const blocks = chunk('Short intro.\n\n# Part two\n\nThe second part, with enough words to stand alone as one idea of its own here.');
    expect(blocks).toEqual(['Short intro.', '# Part two\n\nThe second part, with enough words to stand alone as one idea of its own here.']);
  });

  it('merges very short paragraphs with a neighbour (dialogue lines come out as exchanges)', () => {
    const text = readFileSync(resolve(FIXTURES, 'shakespeare/coriolanus-act1.txt'), 'utf8');
    const blocks = chunk(text);
    expect(blocks[0]).toBe('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?');
    expect(blocks.filter((b) => b.length < 80).length).toBeLessThan(blocks.length / 10);
    expect(words(blocks.join(' '))).toEqual(words(text));
  });

  it('cuts a paragraph longer than the limit at sentence ends, and a sentence longer still at spaces', () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const blocks = chunk(long, { maxChars: 200 });
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) {
      expect(b.length).toBeLessThanOrEqual(200);
      expect(b).toMatch(/^Sentence number \d+ is here\./);
      expect(b).toMatch(/here\.$/);
    }
    const run = 'word '.repeat(100).trim();
    expect(splitLong(run, 64).every((p) => p.length <= 64)).toBe(true);
    expect(splitLong(run, 64).join(' ')).toBe(run);
    expect(splitLong('x'.repeat(150), 64).map((p) => p.length)).toEqual([64, 64, 22]);
  });

  it('leaves code fences out whole (the filter never sends code to the styler) and keeps lists together', () => {
    const text = 'Here is how you run it, in our voice of course:\n\n```sh\nnpm ci\n\nnpm test\n```\n\nSteps:\n\n- one\n- two\n\nThat is all, friends, go and try it on your own machine now.';
    const blocks = chunk(text, { minChars: 0 });
    expect(blocks.join('\n')).not.toContain('npm ci');
    expect(blocks).toEqual(['Here is how you run it, in our voice of course:', 'Steps:\n\n- one\n- two\n\nThat is all, friends, go and try it on your own machine now.']);
  });
});
