import type { ChatExample } from './examples.js';

export interface LeakageReport {
  valid: number;
  /** Validation examples whose reply (the styled text) also appears in training. */
  sameOutput: number;
  /** …whose input appears in training. */
  sameInput: number;
  /** …that share most of their reply's word 5-grams with one training example (not counted above). */
  nearDuplicates: number;
  /** Line numbers in the validation file of the examples found, for a look. */
  lines: number[];
  /** Share of validation examples affected, 0–1. */
  rate: number;
}

const normalise = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

function shingles(text: string, n = 5): Set<string> {
  const words = normalise(text).split(' ').filter(Boolean);
  const out = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

/**
 * Does validation share text with training? A validation loss near 0.005 on a rewriting task usually means
 * it does: the model is graded on what it memorised. Exact matches of inputs or replies, and replies sharing
 * at least half their word 5-grams with a training reply (overlapping blocks from the same document).
 */
export function checkLeakage(train: readonly ChatExample[], valid: readonly ChatExample[], nearThreshold = 0.5): LeakageReport {
  const outputs = new Set(train.map((e) => normalise(e.assistant)));
  const inputs = new Set(train.map((e) => normalise(e.user)));
  const index = new Map<string, number[]>();
  train.forEach((e, i) => {
    for (const s of shingles(e.assistant)) {
      const list = index.get(s);
      if (list) list.push(i);
      else index.set(s, [i]);
    }
  });
  let sameOutput = 0;
  let sameInput = 0;
  let near = 0;
  const lines: number[] = [];
  for (const e of valid) {
    const out = outputs.has(normalise(e.assistant));
    const inp = inputs.has(normalise(e.user));
    if (out) sameOutput += 1;
    if (inp) sameInput += 1;
    if (out || inp) {
      lines.push(e.line);
      continue;
    }
    const mine = shingles(e.assistant);
    if (mine.size === 0) continue;
    const shared = new Map<number, number>();
    for (const s of mine) for (const i of index.get(s) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1);
    if ([...shared.values()].some((c) => c / mine.size >= nearThreshold)) {
      near += 1;
      lines.push(e.line);
    }
  }
  return { valid: valid.length, sameOutput, sameInput, nearDuplicates: near, lines, rate: valid.length ? lines.length / valid.length : 0 };
}
