import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DESTYLE_PROMPT, DEFAULT_STYLE_PROMPT } from '../../src/config/defaults.js';
import { buildExample } from '../../src/restyle/messages.js';

const THINGS = ['ship', 'cargo', 'crew', 'harbour', 'map', 'lantern', 'anchor', 'sail', 'compass', 'barrel', 'rope', 'deck'];
const TIMES = ['dawn', 'noon', 'dusk', 'midnight', 'six', 'nine'];
// Validation pairs (i ≥ 1000) talk about other things, like held-out documents would.
const VALID_THINGS = ['parrot', 'cannon', 'treasure', 'galley', 'flag', 'hammock', 'spyglass'];
const VALID_TIMES = ['sunrise', 'teatime', 'sunset', 'eight'];

/** A neutral sentence and its "pirate" rendering: the style is unmistakable, the facts identical. */
export function pair(i: number): { neutral: string; styled: string } {
  const things = i >= 1000 ? VALID_THINGS : THINGS;
  const times = i >= 1000 ? VALID_TIMES : TIMES;
  const thing = things[i % things.length]!;
  const time = times[(i * 5) % times.length]!;
  const n = 3 + ((i * 13) % 40);
  return {
    neutral: `The ${thing} will be ready at ${time}. There are ${n} items to check first.`,
    styled: `Arr, the ${thing} be ready at ${time}, matey! Ye have ${n} items to check first, yarr.`,
  };
}

/** The pirate rule the fake model applies: neutral in, styled out (a perfect styler for `pair`). */
export function piratise(neutral: string): string {
  const m = /^The (\w+) will be ready at (\w+)\. There are (\d+) items to check first\.$/.exec(neutral.trim());
  if (!m) return `Arr, ${neutral}`;
  return `Arr, the ${m[1]} be ready at ${m[2]}, matey! Ye have ${m[3]} items to check first, yarr.`;
}

/**
 * A corpus directory as `restyle corpus build` writes it: train/valid for the styler, destyle.* for the
 * de-styler, all rendered by the real message builder with the default prompts.
 */
export function writeCorpus(dir: string, options: { train?: number; valid?: number; leak?: boolean; prompt?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const nTrain = options.train ?? 24;
  const nValid = options.valid ?? 6;
  const style = { name: 'pirate', prompt: options.prompt ?? DEFAULT_STYLE_PROMPT };
  const destyle = { name: 'pirate (destyler)', prompt: DEFAULT_DESTYLE_PROMPT };
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, k) => pair(from + k));
  const train = rows(0, nTrain);
  // Leaky: validation reuses training pairs (what a block-level split of overlapping documents produces).
  const valid = options.leak ? rows(0, nValid) : rows(1000, nValid);
  const jsonl = (xs: unknown[]) => `${xs.map((x) => JSON.stringify(x)).join('\n')}\n`;
  writeFileSync(join(dir, 'train.jsonl'), jsonl(train.map((p) => buildExample(style, p.neutral, p.styled))));
  writeFileSync(join(dir, 'valid.jsonl'), jsonl(valid.map((p) => buildExample(style, p.neutral, p.styled))));
  writeFileSync(join(dir, 'destyle.train.jsonl'), jsonl(train.map((p) => buildExample(destyle, p.styled, p.neutral))));
  writeFileSync(join(dir, 'destyle.valid.jsonl'), jsonl(valid.map((p) => buildExample(destyle, p.styled, p.neutral))));
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify({ style: 'pirate', split: 'document' })}\n`);
  return dir;
}

/** The reverse rule (a perfect de-styler for `pair`). */
export function depiratise(styled: string): string {
  const m = /^Arr, the (\w+) be ready at (\w+), matey! Ye have (\d+) items to check first, yarr\.$/.exec(styled.trim());
  if (!m) return styled.replace(/^Arr, /, '');
  return `The ${m[1]} will be ready at ${m[2]}. There are ${m[3]} items to check first.`;
}
