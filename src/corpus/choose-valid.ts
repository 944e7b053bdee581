import { sha256Of } from '../util/hash.js';

/** A seeded rank for an id: the same (seed, id) always sorts the same, a different seed reshuffles. */
function rank(seed: number, id: string): string {
  return sha256Of(`${seed}\u0000${id}`);
}

export interface SplitUnit {
  id: string;
  /** How many examples the unit holds (a document's usable blocks). */
  size: number;
}

/**
 * The units (source documents) that go to validation: seeded, so the same corpus and seed give the same
 * split, and whole, so no document gives blocks to both sides (shared text across the split is what makes
 * a validation loss look implausibly good). Units are taken in seeded order while they fit in
 * `fraction` of all examples, so a few huge documents can't swallow the validation set; at least one unit
 * goes to validation and at least one stays in training whenever there are two or more.
 */
export function chooseValid(units: readonly SplitUnit[], fraction: number, seed: number): Set<string> {
  const valid = new Set<string>();
  if (fraction <= 0 || units.length < 2) return valid;
  const total = units.reduce((n, u) => n + u.size, 0);
  const target = fraction * total;
  const ranked = [...units].map((u) => ({ ...u, r: rank(seed, u.id) })).sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
  let taken = 0;
  for (const u of ranked) {
    if (taken >= target) break;
    if (valid.size === units.length - 1) break;
    if (taken + u.size <= Math.ceil(target)) {
      valid.add(u.id);
      taken += u.size;
    }
  }
  if (valid.size === 0) {
    // Every document is bigger than the target: hold out the smallest (seeded order breaks ties).
    const smallest = ranked.reduce((a, b) => (b.size < a.size ? b : a));
    valid.add(smallest.id);
  }
  return valid;
}

/** For a single document: the block ids that go to validation (seeded, `round(fraction × n)`, at least 1, at most n − 1). */
export function chooseValidBlocks(ids: readonly string[], fraction: number, seed: number): Set<string> {
  if (fraction <= 0 || ids.length < 2) return new Set();
  const n = Math.min(ids.length - 1, Math.max(1, Math.round(ids.length * fraction)));
  return new Set(
    [...ids]
      .map((id) => ({ id, r: rank(seed, id) }))
      .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
      .slice(0, n)
      .map((x) => x.id),
  );
}
