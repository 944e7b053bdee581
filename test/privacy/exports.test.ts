import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchOut, forgetUserInCorpus } from '../../src/privacy/exports.js';
import { userMatcher } from '../../src/privacy/user.js';
import { RestyleError } from '../../src/errors.js';
import { tmpDir } from '../support/tmp.js';

const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A corpus as `corpus build` lays it out: pairs.jsonl in order, the n-th train pair = line n of both train files. */
function corpus(authors: Array<[string | undefined, 'train' | 'valid']>): string {
  const dir = tmpDir('forget-corpus');
  mkdirSync(join(dir, '.cache'));
  const files: Record<string, string[]> = { 'train.jsonl': [], 'valid.jsonl': [], 'destyle.train.jsonl': [], 'destyle.valid.jsonl': [], 'pairs.jsonl': [], '.cache/editor.jsonl': [] };
  authors.forEach(([author, split], i) => {
    files[`${split}.jsonl`]!.push(JSON.stringify({ messages: [{ role: 'user', content: `neutral ${i}` }, { role: 'assistant', content: `styled ${i}` }] }));
    files[`destyle.${split}.jsonl`]!.push(JSON.stringify({ messages: [{ role: 'user', content: `styled ${i}` }, { role: 'assistant', content: `neutral ${i}` }] }));
    files['pairs.jsonl']!.push(JSON.stringify({ doc: 'export', ref: String(i), ...(author ? { author } : {}), split, styled: `styled ${i}`, neutral: `neutral ${i}`, editorKey: `k${i}` }));
    files['.cache/editor.jsonl']!.push(JSON.stringify({ key: `k${i}`, text: `neutral ${i}`, promptTokens: 1, completionTokens: 1, finishReason: 'stop' }));
  });
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), lines.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ style: 'pirate' }));
  return dir;
}

describe('forgetting a user in a built corpus', () => {
  it("removes exactly their examples from all five files and the editor cache, keeping the others aligned", () => {
    const dir = corpus([
      ['slack:U1', 'train'],
      ['slack:U2', 'train'],
      ['slack:U1', 'valid'],
      ['slack:U2', 'valid'],
      [undefined, 'train'],
      ['slack:U1', 'train'],
    ]);
    expect(forgetUserInCorpus(dir, userMatcher('slack:U1'), new Date('2026-11-25T00:00:00Z'))).toEqual({ dir, examples: 3, cached: 3, derived: [] });
    const content = (f: string) => rows(join(dir, f)).map((r) => r.messages[1].content);
    expect(content('train.jsonl')).toEqual(['styled 1', 'styled 4']);
    expect(content('destyle.train.jsonl')).toEqual(['neutral 1', 'neutral 4']);
    expect(content('valid.jsonl')).toEqual(['styled 3']);
    expect(content('destyle.valid.jsonl')).toEqual(['neutral 3']);
    expect(rows(join(dir, 'pairs.jsonl')).map((p) => p.ref)).toEqual(['1', '3', '4']);
    expect(rows(join(dir, '.cache/editor.jsonl')).map((c) => c.key)).toEqual(['k1', 'k3', 'k4']);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).forgotten).toEqual([{ at: '2026-11-25T00:00:00.000Z', examples: 3, reason: 'user' }]);
    expect(existsSync(join(dir, '.cache/lock'))).toBe(false);
    // Again: nothing left to remove, nothing rewritten.
    expect(forgetUserInCorpus(dir, userMatcher('U1'))).toMatchObject({ examples: 0, cached: 0 });
  });

  it('says when a batch is still out (its answers are cached when a build collects them, whoever wrote the text)', () => {
    const dir = corpus([['slack:U1', 'train']]);
    expect(batchOut(dir)).toBe(false);
    mkdirSync(join(dir, '.cache/batch'));
    writeFileSync(join(dir, '.cache/batch/state.json'), JSON.stringify({ batches: [{ file: 'input-abc-0.jsonl', inputHash: 'x', count: 3, batchId: 'batch_1' }] }));
    expect(batchOut(dir)).toBe(true);
    writeFileSync(join(dir, '.cache/batch/state.json'), JSON.stringify({ batches: [] }));
    expect(batchOut(dir)).toBe(false);
  });

  it('refuses, changing nothing, when the files disagree with pairs.jsonl or record no authors', () => {
    const dir = corpus([
      ['slack:U1', 'train'],
      ['slack:U2', 'train'],
    ]);
    writeFileSync(join(dir, 'train.jsonl'), readFileSync(join(dir, 'train.jsonl'), 'utf8') + '{"messages":[]}\n');
    const before = readFileSync(join(dir, 'pairs.jsonl'), 'utf8');
    expect(() => forgetUserInCorpus(dir, userMatcher('slack:U1'))).toThrow(/train\.jsonl: 3 line\(s\) but pairs\.jsonl lists 2 train example\(s\).*nothing was changed/);
    expect(readFileSync(join(dir, 'pairs.jsonl'), 'utf8')).toBe(before);

    const plain = corpus([[undefined, 'train']]);
    expect(() => forgetUserInCorpus(plain, userMatcher('slack:U1'))).toThrow(/no authors recorded/);
    const err = (() => {
      try {
        forgetUserInCorpus(join(plain, 'nope'), userMatcher('slack:U1'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RestyleError);
    expect((err as RestyleError).code).toBe('file_not_found');
  });
});
