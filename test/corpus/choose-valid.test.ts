import { describe, expect, it } from 'vitest';
import { chooseValid, chooseValidBlocks } from '../../src/corpus/choose-valid.js';

const docs = (sizes: number[]) => sizes.map((size, i) => ({ id: `doc${i}`, size }));

describe('chooseValid', () => {
  it('is seeded: the same seed gives the same documents, another seed others', () => {
    const units = docs(Array.from({ length: 40 }, () => 10));
    const a = chooseValid(units, 0.2, 7);
    expect([...chooseValid(units, 0.2, 7)]).toEqual([...a]);
    expect([...chooseValid(units, 0.2, 8)].sort()).not.toEqual([...a].sort());
    expect(a.size).toBe(8);
  });

  it('holds out about the fraction of examples, not of documents, so one huge document cannot swallow validation', () => {
    const units = docs([5000, ...Array.from({ length: 50 }, () => 100)]);
    for (const seed of [1, 2, 3, 4, 5]) {
      const valid = chooseValid(units, 0.1, seed);
      const held = units.filter((u) => valid.has(u.id)).reduce((n, u) => n + u.size, 0);
      expect(held).toBeLessThanOrEqual(1000);
      expect(held).toBeGreaterThanOrEqual(900);
      expect(valid.has('doc0')).toBe(false);
    }
  });

  it('keeps at least one document on each side, and none at fraction 0', () => {
    expect(chooseValid(docs([3, 3]), 0.01, 1).size).toBe(1);
    expect(chooseValid(docs([3, 3]), 0.99, 1).size).toBe(1);
    expect(chooseValid(docs([100, 1]), 0.1, 1)).toEqual(new Set(['doc1']));
    expect(chooseValid(docs([5, 5, 5]), 0, 1).size).toBe(0);
    expect(chooseValid(docs([5]), 0.5, 1).size).toBe(0);
  });
});

describe('chooseValidBlocks', () => {
  it('takes round(fraction × n) blocks, at least 1 and at most n − 1, seeded', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `#${i}`);
    expect(chooseValidBlocks(ids, 0.1, 3).size).toBe(5);
    expect([...chooseValidBlocks(ids, 0.1, 3)]).toEqual([...chooseValidBlocks(ids, 0.1, 3)]);
    expect(chooseValidBlocks(['#0', '#1'], 0.01, 1).size).toBe(1);
    expect(chooseValidBlocks(['#0', '#1'], 0.99, 1).size).toBe(1);
  });
});
