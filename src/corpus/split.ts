import { sha256 } from '../util/hash.js';

/**
 * Seeded train/valid assignment by source document, so no document gives blocks to both sides (shared
 * text across the split is what makes a validation loss look implausibly good). With a single document
 * the split falls back to blocks, and says so.
 */
export function assignValid(docIds: readonly string[], fraction: number, seed: number): Set<string> {
  if (fraction <= 0) return new Set();
  const ranked = [...new Set(docIds)].map((id) => ({ id, r: sha256(String(seed), id) })).sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
  const n = Math.max(1, Math.round(ranked.length * fraction));
  return new Set(ranked.slice(0, Math.min(n, ranked.length - 1)).map((x) => x.id));
}
