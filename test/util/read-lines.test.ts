import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLines } from '../../src/util/read-lines.js';
import { tmpDir } from '../support/tmp.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const dir = tmpDir('read-lines');

describe('readLines', () => {
  it('splits as readline (crlfDelay: Infinity) does: \\n, \\r\\n and \\r; no empty line after a final break', async () => {
    const piece = fc.constantFrom('a', 'é', '😀', '\n', '\r', '\r\n', ' ', '{"x":1}', '\u2028');
    await fc.assert(
      // Read in chunks of 1–7 bytes too: a \r\n or a multi-byte character split across two chunks.
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (parts, chunk) => {
        const file = join(dir, 'same.txt');
        writeFileSync(file, parts.join(''));
        const expected = await collect(createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity }));
        expect(await collect(readLines(file))).toEqual(expected);
        expect(await collect(readLines(file, undefined, chunk))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a line over the limit comes as its length, without being held; the lines around it are intact', async () => {
    const file = join(dir, 'long.jsonl');
    writeFileSync(file, `first\n${'x'.repeat(5000)}\r\nlast`);
    expect(await collect(readLines(file, 1000))).toEqual(['first', { tooLong: true, chars: 5000 }, 'last']);
    expect(await collect(readLines(file, 1000, 64))).toEqual(['first', { tooLong: true, chars: 5000 }, 'last']);
    writeFileSync(file, 'y'.repeat(1001));
    expect(await collect(readLines(file, 1000))).toEqual([{ tooLong: true, chars: 1001 }]);
    expect(await collect(readLines(file, 1001))).toEqual(['y'.repeat(1001)]);
  });
});
