import { sha256Of } from '../util/hash.js';

/**
 * Drops exact and near-duplicate blocks, first one wins (inputs are read in a fixed order, so the same
 * corpus keeps the same blocks).
 *
 * - exact: the same text after trimming;
 * - near: the same words after case, punctuation, symbols and spacing are normalised (a re-post with other
 *   formatting or a changed emoji), or — for blocks of at least `MIN_TOKENS` words — an estimated Jaccard
 *   similarity of word 3-shingles ≥ `threshold` (boilerplate with a changed date or name). The estimate is
 *   MinHash (64 hashes) with LSH banding (16 bands × 4 rows) to find candidates without comparing every
 *   pair: at J = 0.8 a pair becomes a candidate with probability 0.998, at J = 0.5 with 0.64, and each
 *   candidate is then checked on its signature.
 *
 * Memory is flat per block (a 16-byte digest, a 256-byte signature and 16 bucket entries), not per
 * character, so 30k blocks cost a few MB.
 */
export const NUM_HASHES = 64;
const BANDS = 16;
const ROWS = NUM_HASHES / BANDS;
const MIN_TOKENS = 8;

export interface DedupeOptions {
  /** Estimated Jaccard similarity at or above which a block is a near duplicate (default 0.8). */
  threshold?: number;
}

export class Deduper {
  exact = 0;
  near = 0;
  private readonly seen = new Set<string>();
  private readonly threshold: number;
  /** Signatures of indexed blocks, back to back. */
  private signatures = new Uint32Array(NUM_HASHES * 1024);
  private count = 0;
  /** LSH buckets, one map per band: the band's 32-bit key → the most recent slot in it; `chain` links each slot to the previous one in the same bucket. */
  private readonly buckets = Array.from({ length: BANDS }, () => new Map<number, number>());
  private chain = new Int32Array(BANDS * 1024);
  /** Per slot: the last `keep` call that compared against it (so a slot found in two bands is compared once). */
  private checkedIn = new Int32Array(1024);
  private calls = 0;

  constructor(options: DedupeOptions = {}) {
    this.threshold = options.threshold ?? 0.8;
  }

  /** True the first time a block (or something near enough to it) is seen. */
  keep(block: string): boolean {
    const exactKey = digest('x', block.trim());
    if (this.seen.has(exactKey)) {
      this.exact += 1;
      return false;
    }
    this.seen.add(exactKey);
    const normal = normalise(block);
    const nearKey = digest('n', normal);
    if (this.seen.has(nearKey)) {
      this.near += 1;
      return false;
    }
    this.seen.add(nearKey);
    const tokens = normal.split(' ');
    if (tokens.length < MIN_TOKENS) return true;
    const sig = minhash(tokens);
    if (this.hasNear(sig)) {
      this.near += 1;
      return false;
    }
    this.index(sig);
    return true;
  }

  private hasNear(sig: Uint32Array): boolean {
    const call = ++this.calls;
    for (let b = 0; b < BANDS; b++) {
      for (let slot = this.buckets[b]!.get(bandKey(sig, b)) ?? -1; slot >= 0; slot = this.chain[slot * BANDS + b]!) {
        if (this.checkedIn[slot] === call) continue;
        this.checkedIn[slot] = call;
        if (this.similarity(sig, slot) >= this.threshold) return true;
      }
    }
    return false;
  }

  private similarity(sig: Uint32Array, slot: number): number {
    let same = 0;
    const base = slot * NUM_HASHES;
    for (let i = 0; i < NUM_HASHES; i++) if (this.signatures[base + i] === sig[i]) same += 1;
    return same / NUM_HASHES;
  }

  private index(sig: Uint32Array): void {
    const slot = this.count++;
    if ((slot + 1) * NUM_HASHES > this.signatures.length) {
      this.signatures = grow(this.signatures);
      this.chain = grow(this.chain);
      this.checkedIn = grow(this.checkedIn);
    }
    this.signatures.set(sig, slot * NUM_HASHES);
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, b);
      this.chain[slot * BANDS + b] = this.buckets[b]!.get(key) ?? -1;
      this.buckets[b]!.set(key, slot);
    }
  }
}

function grow<T extends Uint32Array | Int32Array>(a: T): T {
  const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
  bigger.set(a);
  return bigger;
}

function digest(kind: string, text: string): string {
  return sha256Of(kind + text, 'base64').slice(0, 22);
}

/** Lower case, compatibility-decomposed, punctuation and symbols (emoji included) to spaces, spaces collapsed. */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** murmur3's finaliser: a cheap, well-mixed 32-bit permutation. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

// Fixed seeds, so signatures (and so which block is dropped) never change between runs.
const SEEDS = Uint32Array.from({ length: NUM_HASHES }, (_, i) => mix(0x9e3779b9 + i * 0x632be5ab));

const FNV_OFFSET = 0x811c9dc5;
const SPACE = 32;

/** 32-bit FNV-1a of `s`'s UTF-16 code units, continued from state `h` (not finalised: `>>> 0` gives the hash). */
function fnvOn(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** MinHash signature of the word 3-shingles of `tokens`. */
export function minhash(tokens: readonly string[]): Uint32Array {
  const sig = new Uint32Array(NUM_HASHES).fill(0xffffffff);
  for (let i = 0; i + 2 < tokens.length; i++) {
    // fnv1a(`${a} ${b} ${c}`), without building the string.
    let h = Math.imul(fnvOn(FNV_OFFSET, tokens[i]!) ^ SPACE, 0x01000193);
    h = Math.imul(fnvOn(h, tokens[i + 1]!) ^ SPACE, 0x01000193);
    h = fnvOn(h, tokens[i + 2]!) >>> 0;
    for (let k = 0; k < NUM_HASHES; k++) {
      const v = mix(h ^ SEEDS[k]!);
      if (v < sig[k]!) sig[k] = v;
    }
  }
  return sig;
}

/** One band's rows hashed to 32 bits (seeded with the band number), as a signed int: a small integer key for the band's map. */
function bandKey(sig: Uint32Array, band: number): number {
  let h = 0x811c9dc5 ^ band;
  for (let r = 0; r < ROWS; r++) h = mix(h ^ sig[band * ROWS + r]!);
  return h | 0;
}
