/**
 * The streamed cut points are the splitter's: whatever way a text arrives in pieces, the segments the
 * BlockCutter hands out (as they become final, then the rest at the end) are exactly `splitBlocks` of the
 * whole text. Same chat-shaped alphabet as blocks.fuzz.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBlocks, type Segment } from '../../src/restyle/blocks.js';
import { BlockCutter } from '../../src/restyle/stream.js';
import { chunks } from '../support/deltas.js';

const words = fc.constantFrom('Deploy', 'finished', 'the', 'build', 'passed.', 'Ship it!', 'naïve', '東京', '10:30', '*bold*', '**Bold**', '`npm ci`', '<@U123ABC>', 'https://x.io/a');
const lines = fc.constantFrom('\n', '\n\n', '\r\n', '\r\n\r\n', '\n\n\n', '\t', '  ', ' ');
const structure = fc.constantFrom('```', '```js\n', '~~~\n', '````\n', '    ```', '# ', '## Setup\n', '- ', '* ', '1. ', '2) ', '  - ', '\t- ', '> ', 'Steps:\n', '---\n', '**Title**\n');
const piece = fc.oneof({ weight: 6, arbitrary: words.map((w) => `${w} `) }, { weight: 5, arbitrary: lines }, { weight: 3, arbitrary: structure });
const chatText = fc.array(piece, { maxLength: 120 }).map((parts) => parts.join(''));
const options = fc.record({ maxParagraphs: fc.integer({ min: 1, max: 4 }), maxChars: fc.integer({ min: 20, max: 600 }) });

describe('BlockCutter', () => {
  it('hands out exactly the segments splitBlocks gives for the whole text, however it arrives', () => {
    fc.assert(
      fc.property(chatText, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), options, (text, cuts, opts) => {
        const cutter = new BlockCutter((t) => splitBlocks(t, opts));
        const got: Segment[] = [];
        for (const c of chunks(text, cuts)) got.push(...cutter.push(c));
        got.push(...cutter.end());
        expect(got).toEqual(splitBlocks(text, opts));
      }),
      { numRuns: 600 },
    );
  });

  it('releases a block before the text ends once the next block has begun', () => {
    const cutter = new BlockCutter((t) => splitBlocks(t, { maxParagraphs: 1 }));
    expect(cutter.push('First para')).toEqual([]);
    expect(cutter.push('graph.\n\nSecond')).toEqual([]);
    // The second block's first line is not complete yet: it could still turn into a fence or a heading.
    expect(cutter.push(' one.\n')).toEqual([
      { kind: 'prose', text: 'First paragraph.' },
      { kind: 'space', text: '\n\n' },
    ]);
    expect(cutter.end()).toEqual([
      { kind: 'prose', text: 'Second one.' },
      { kind: 'space', text: '\n' },
    ]);
  });

  it('never releases from inside an open code fence or a list still being written', () => {
    const cutter = new BlockCutter((t) => splitBlocks(t, { maxParagraphs: 1 }));
    expect(cutter.push('```\ncode\n\nmore code\n\n')).toEqual([]);
    const list = new BlockCutter((t) => splitBlocks(t, { maxParagraphs: 1 }));
    expect(list.push('- one\n\n- two\n\n- three\n')).toEqual([]);
    expect(list.push('\nAfter the list.\n')).toEqual([
      { kind: 'prose', text: '- one\n\n- two\n\n- three' },
      { kind: 'space', text: '\n\n' },
    ]);
  });
});
