import { sha256 } from '../util/hash.js';

/**
 * Drops exact and near-duplicate blocks. "Near" = the same words after case, punctuation and spacing are
 * normalised — quotes re-posted with different formatting, the same boilerplate with a changed emoji.
 */
export class Deduper {
  private readonly seen = new Set<string>();
  exact = 0;
  near = 0;

  /** True the first time a block (or its normalised form) is seen. */
  keep(block: string): boolean {
    const exactKey = sha256('x', block);
    if (this.seen.has(exactKey)) {
      this.exact += 1;
      return false;
    }
    const nearKey = sha256('n', normalise(block));
    if (this.seen.has(nearKey)) {
      this.near += 1;
      return false;
    }
    this.seen.add(exactKey);
    this.seen.add(nearKey);
    return true;
  }
}

export function normalise(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
