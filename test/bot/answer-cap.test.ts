import { describe, expect, it } from 'vitest';
import { capDeltas, capText, cutNote } from '../../src/bot/answer-cap.js';

async function collect(deltas: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of deltas) out.push(d);
  return out;
}

describe('the answer cap (bot.answer.maxChars)', () => {
  it('leaves an answer within the cap alone; cuts a longer one with the note', () => {
    expect(capText('short answer', 100)).toBe('short answer');
    expect(capText('x'.repeat(100), 100)).toBe('x'.repeat(100));
    expect(capText('x'.repeat(101), 100)).toBe(`${'x'.repeat(100)}\n\n… (answer cut at 100 characters)`);
    expect(cutNote(40_000)).toBe('\n\n… (answer cut at 40,000 characters)');
  });

  it('never cuts an emoji (a surrogate pair) in half', () => {
    const text = `${'a'.repeat(99)}😀 and more`;
    expect(capText(text, 100)).toBe(`${'a'.repeat(99)}${cutNote(100)}`);
  });

  it('a stream passes deltas until the cap, then the part that fits and the note, and closes the upstream', async () => {
    let closed = false;
    let pulled = 0;
    const upstream = (async function* () {
      try {
        for (;;) {
          pulled += 1;
          yield 'loop '; // a model that never stops
        }
      } finally {
        closed = true;
      }
    })();
    const out = await collect(capDeltas(upstream, 12));
    expect(out).toEqual(['loop ', 'loop ', `lo${cutNote(12)}`]);
    expect(closed).toBe(true);
    expect(pulled).toBe(3);
    expect(await collect(capDeltas((async function* () { yield 'fits'; })(), 12))).toEqual(['fits']);
  });
});
