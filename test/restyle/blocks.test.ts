import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinSegments, splitBlocks } from '../../src/restyle/blocks.js';

const prose = (text: string) => splitBlocks(text).filter((s) => s.kind === 'prose').map((s) => s.text);

describe('splitBlocks', () => {
  it('keeps a short answer as one block', () => {
    expect(splitBlocks('Hello there.\nSecond line.')).toEqual([{ kind: 'prose', text: 'Hello there.\nSecond line.' }]);
  });

  it('groups paragraphs in blocks of at most 3', () => {
    const paras = Array.from({ length: 7 }, (_, i) => `Paragraph ${i} says one thing.`);
    const blocks = prose(paras.join('\n\n'));
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toBe(paras.slice(0, 3).join('\n\n'));
    expect(blocks[2]).toBe(paras[6]);
  });

  it('starts a new block at a heading, which leads its paragraphs', () => {
    const blocks = prose('Intro.\n\nMore intro.\n\n## Setup\nInstall it.\n\nRun it.');
    expect(blocks).toEqual(['Intro.\n\nMore intro.', '## Setup\nInstall it.\n\nRun it.']);
  });

  it('respects maxChars between paragraphs but never cuts one', () => {
    const long = 'x'.repeat(80);
    const blocks = splitBlocks(`${long}\n\n${long}\n\n${long}`, { maxChars: 170 }).filter((s) => s.kind === 'prose');
    expect(blocks.map((b) => b.text)).toEqual([`${long}\n\n${long}`, long]);
  });

  it('passes code fences through as their own segment, even with blank lines inside', () => {
    const text = 'Try this:\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\nDone.';
    const segs = splitBlocks(text);
    expect(segs.filter((s) => s.kind === 'code').map((s) => s.text)).toEqual(['```js\nconst a = 1;\n\nconst b = 2;\n```']);
    expect(segs.filter((s) => s.kind === 'prose').map((s) => s.text)).toEqual(['Try this:', 'Done.']);
  });

  it('an unclosed fence runs to the end', () => {
    const segs = splitBlocks('Text.\n\n```\ncode\n\nmore');
    expect(segs.filter((s) => s.kind === 'code').map((s) => s.text)).toEqual(['```\ncode\n\nmore']);
  });

  it('never cuts a loose list, and keeps its lead-in line with it', () => {
    const text = 'One.\n\nTwo.\n\nSteps:\n\n- first\n\n- second\n\n  still second\n\n- third\n\nAfter.';
    const blocks = prose(text);
    const list = blocks.find((b) => b.includes('- first'))!;
    expect(list).toContain('Steps:');
    expect(list).toContain('- third');
    expect(list).toContain('still second');
  });

  it('joining the segments gives back the input exactly (property)', () => {
    const piece = fc.constantFrom('word ', 'Sentence.', '\n', '\n\n', '\n\n\n', '  ', '```', '```js', '~~~', '# Head', '- item', '1. item', '\t', '**Bold**', ' ', 'é', '\r\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 100, max: 2000 }), (parts, maxParagraphs, maxChars) => {
        const text = parts.join('');
        const segs = splitBlocks(text, { maxParagraphs, maxChars });
        expect(joinSegments(segs)).toBe(text);
        for (const s of segs) expect(s.text.length).toBeGreaterThan(0);
        for (const s of segs.filter((x) => x.kind === 'space')) expect(s.text.trim()).toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('maxBlocks: 5,800 one-line paragraphs become at most maxBlocks blocks, grouped in order, nothing lost', () => {
    const text = Array.from({ length: 5800 }, (_, i) => `Line ${i}.`).join('\n\n');
    expect(prose(text)).toHaveLength(1934); // the old cost: one block per three paragraphs
    const segs = splitBlocks(text, { maxBlocks: 32 });
    const blocks = segs.filter((s) => s.kind === 'prose');
    expect(blocks.length).toBeLessThanOrEqual(32);
    expect(blocks.length).toBeGreaterThan(1);
    expect(joinSegments(segs)).toBe(text);
  });

  it('maxBlocks leaves a text already under the cap exactly as before', () => {
    const text = 'One.\n\nTwo.\n\nThree.\n\nFour.\n\n# Head\n\nFive.';
    expect(splitBlocks(text, { maxBlocks: 3 })).toEqual(splitBlocks(text));
  });

  it('maxBlocks merges across headings as a last resort, never into code', () => {
    const text = Array.from({ length: 50 }, (_, i) => `# H${i}\n\nBody ${i}.`).join('\n\n') + '\n\n```\ncode\n```\n\nTail.';
    const segs = splitBlocks(text, { maxBlocks: 2 });
    expect(segs.filter((s) => s.kind === 'prose')).toHaveLength(2);
    expect(segs.filter((s) => s.kind === 'code').map((s) => s.text)).toEqual(['```\ncode\n```']);
    expect(joinSegments(segs)).toBe(text);
  });

  it('joining gives back the input under any maxBlocks (property)', () => {
    const piece = fc.constantFrom('word ', 'Sentence.', '\n', '\n\n', '```', '# Head', '- item', '**Bold**', ' ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), fc.integer({ min: 1, max: 5 }), (parts, maxBlocks) => {
        const text = parts.join('');
        const segs = splitBlocks(text, { maxParagraphs: 1, maxChars: 100, maxBlocks });
        expect(joinSegments(segs)).toBe(text);
        const codeSplits = segs.filter((s) => s.kind === 'code').length;
        expect(segs.filter((s) => s.kind === 'prose').length).toBeLessThanOrEqual(maxBlocks + codeSplits);
      }),
      { numRuns: 300 },
    );
  });
});
