import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createEvalProgress } from '../../src/eval/progress.js';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('eval progress', () => {
  it('on a terminal: one bar redrawn in place, not a line per request', () => {
    const { stream, text } = capture(true);
    const p = createEvalProgress(stream, 200);
    for (let i = 1; i <= 200; i++) p.update(i);
    p.stop();
    const out = text();
    expect(out).toContain('eval [');
    expect(out).toContain('200/200 requests');
    // cli-progress redraws with cursor moves; only stop() ends the line.
    expect(out.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(2);
  });

  it('elsewhere (CI logs): a line at every 10%', () => {
    const { stream, text } = capture(false);
    const p = createEvalProgress(stream, 200);
    for (let i = 1; i <= 200; i++) p.update(i);
    p.stop();
    expect(text().trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, k) => `eval: ${(k + 1) * 20}/200`));
  });
});
