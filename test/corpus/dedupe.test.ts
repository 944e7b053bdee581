import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunk } from '../../src/corpus/chunk.js';
import { Deduper, minhash, normalise } from '../../src/corpus/dedupe.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/corpus');
const paragraph =
  'The release train leaves every second Tuesday at noon, and anything merged before the cut-off rides along with it. ' +
  'Late changes wait for the next train unless they fix a security hole, in which case the on-call engineer decides. ' +
  'Release notes are drafted by whoever merged the largest change and reviewed by the product owner before they go out.';

describe('Deduper', () => {
  it('drops exact repeats and re-posts that differ only in case, punctuation, spacing or emoji', () => {
    const d = new Deduper();
    expect(d.keep('Ship it on Friday, folks!')).toBe(true);
    expect(d.keep('Ship it on Friday, folks!')).toBe(false);
    expect(d.keep('  ship it on friday folks 🚀 ')).toBe(false);
    expect(d.keep('Ship it on Monday, folks!')).toBe(true);
    expect([d.exact, d.near]).toEqual([1, 1]);
  });

  it('drops a long block with one detail changed (MinHash near duplicate), keeps a genuinely different one', () => {
    const d = new Deduper();
    expect(d.keep(paragraph)).toBe(true);
    expect(d.keep(paragraph.replace('second Tuesday', 'second Wednesday'))).toBe(false);
    expect(d.keep(paragraph.replace('product owner', 'team lead'))).toBe(false);
    const other = 'Our support rota changes next month: two people cover the morning queue, one covers the evening, and weekends rotate across the whole team in alphabetical order.';
    expect(d.keep(other)).toBe(true);
    expect(d.near).toBe(2);
  });

  it('finds no false duplicates in real prose: every distinct Federalist and Shakespeare block is kept', () => {
    const d = new Deduper();
    let kept = 0;
    let total = 0;
    for (const f of ['federalist/01.md', 'federalist/02.md', 'federalist/03.md', 'shakespeare/coriolanus-act1.txt']) {
      for (const b of chunk(readFileSync(resolve(FIXTURES, f), 'utf8'))) {
        total += 1;
        if (d.keep(b)) kept += 1;
      }
    }
    // The one drop is paper No. 3's header, near-identical to No. 2's ("The Same Subject Continued…").
    expect(total - kept).toBe(d.exact + d.near);
    expect(total - kept).toBeLessThanOrEqual(1);
  });

  it('signatures are deterministic and estimate Jaccard similarity', () => {
    const a = normalise(paragraph).split(' ');
    const b = normalise(paragraph.replace('second Tuesday', 'second Wednesday')).split(' ');
    expect([...minhash(a)]).toEqual([...minhash([...a])]);
    const sa = minhash(a);
    const sb = minhash(b);
    const same = sa.filter((v, i) => v === sb[i]).length / sa.length;
    expect(same).toBeGreaterThan(0.7);
    const sc = minhash(normalise('Completely unrelated words about gardening tomatoes in raised beds during a dry summer season').split(' '));
    expect(sa.filter((v, i) => v === sc[i]).length / sa.length).toBeLessThan(0.2);
  });

  it('signatures are the ones earlier versions computed, so the same corpus keeps the same blocks', () => {
    // Printed by the minhash of a4236ce (FNV-1a over the joined shingle string), before shingles were hashed in place.
    const sig = minhash(normalise('The harbour and the ledger met by the river; we kept 12 notes about the lantern.').split(' '));
    expect([...sig.slice(0, 8)]).toEqual([1634888596, 93239389, 570810257, 95206666, 49270479, 2043964, 148771323, 9762895]);
  });
});
