import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RestyleError } from '../errors.js';
import { writeFileAtomic } from '../corpus/write.js';
import { lockDir } from '../corpus/lock.js';

export interface ExportForgetResult {
  dir: string;
  /** Examples removed from each direction (styler and de-styler files). */
  examples: number;
  /** Editor answers removed from `.cache/editor.jsonl`. */
  cached: number;
  /**
   * Folders restyle writes inside the corpus from its files (`export/` by `train --provider export`, `eval/` by
   * `eval`), removed whole: they hold copies of the text, and are made again from the corpus.
   */
  derived: string[];
}

/** What restyle itself writes inside a corpus folder from its examples (train's exports, eval's reports). */
const DERIVED = ['export', 'eval'];

interface PairRow {
  split: 'train' | 'valid';
  author?: string;
  /** When the text was written (ISO), when the source said: chat messages and samples. */
  at?: string;
  editorKey?: string;
}

/** Which pairs to remove: one person's, or everything written before a date (retention). */
export type CorpusRule = { user: (key: string | undefined) => boolean } | { before: Date };

const FILES = { train: ['train.jsonl', 'destyle.train.jsonl'], valid: ['valid.jsonl', 'destyle.valid.jsonl'] } as const;

/**
 * Whether a `corpus build --batch` left batches out for this corpus (`.cache/batch/state.json` lists them):
 * their answers are cached when a build collects them, whoever's text they hold, so a forget must run again
 * after that build.
 */
export function batchOut(dir: string): boolean {
  try {
    const state = JSON.parse(readFileSync(join(dir, '.cache', 'batch', 'state.json'), 'utf8')) as { batches?: unknown[] };
    return Array.isArray(state.batches) && state.batches.length > 0;
  } catch {
    return false;
  }
}

function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * Remove a user's text from a corpus `restyle corpus build` wrote. `pairs.jsonl` says, line by line, which
 * example came from whom and which split it went to; the n-th `train` pair is line n of `train.jsonl` and of
 * `destyle.train.jsonl` (likewise `valid`), so the matching lines go from all five files, and the editor's
 * cached answers for them from `.cache/editor.jsonl`. Every file is checked before any is rewritten, and
 * each is replaced atomically. The folders made from the corpus (`export/`, `eval/`) go too. `report.json`
 * gets a `forgotten` entry; its other counts describe the build.
 */
export function forgetUserInCorpus(dir: string, matches: (key: string | undefined) => boolean, now: Date = new Date()): ExportForgetResult {
  return forgetInCorpus(dir, { user: matches }, now);
}

/**
 * Retention for a built corpus: remove the examples written before `cutoff`. Pairs without a date (text
 * from plain files, not chat) are kept.
 */
export function purgeCorpusBefore(dir: string, cutoff: Date, now: Date = new Date()): ExportForgetResult {
  return forgetInCorpus(dir, { before: cutoff }, now);
}

export function forgetInCorpus(dir: string, rule: CorpusRule, now: Date = new Date()): ExportForgetResult {
  if (!existsSync(join(dir, 'pairs.jsonl'))) throw new RestyleError('file_not_found', `${dir}: no pairs.jsonl (expected a directory written by restyle corpus build)`);
  // The build's lock: a build writing this directory now would put the text back.
  mkdirSync(join(dir, '.cache'), { recursive: true });
  const release = lockDir(join(dir, '.cache', 'lock'), dir);
  try {
    return rewrite(dir, rule, now);
  } finally {
    release();
  }
}

function rewrite(dir: string, rule: CorpusRule, now: Date): ExportForgetResult {
  const pairsPath = join(dir, 'pairs.jsonl');
  const pairLines = lines(pairsPath);
  const pairs = pairLines.map((line, i) => {
    try {
      return JSON.parse(line) as PairRow;
    } catch {
      throw new RestyleError('file_invalid', `${pairsPath}:${i + 1}: not valid JSON; nothing was changed`);
    }
  });
  if ('user' in rule && !pairs.some((p) => 'author' in p) && pairs.length > 0) {
    throw new RestyleError('file_invalid', `${pairsPath}: no authors recorded (built by an older restyle, or from plain files): rebuild the corpus without the user's text instead; nothing was changed`);
  }
  const cutoff = 'before' in rule ? rule.before.toISOString() : '';
  const doomed = (p: PairRow): boolean => ('user' in rule ? rule.user(p.author) : typeof p.at === 'string' && p.at < cutoff);
  const drop = { train: new Set<number>(), valid: new Set<number>() };
  const seen = { train: 0, valid: 0 };
  const keepPairs: string[] = [];
  const editorKeys = new Set<string>();
  pairs.forEach((p, i) => {
    const side = p.split === 'valid' ? 'valid' : 'train';
    const n = seen[side]++;
    if (doomed(p)) {
      drop[side].add(n);
      if (p.editorKey) editorKeys.add(p.editorKey);
    } else keepPairs.push(pairLines[i]!);
  });
  const removed = drop.train.size + drop.valid.size;
  if (removed === 0) return { dir, examples: 0, cached: 0, derived: [] };

  const rewrites: Array<[string, string[]]> = [];
  for (const side of ['train', 'valid'] as const) {
    for (const name of FILES[side]) {
      const path = join(dir, name);
      if (!existsSync(path)) {
        if (seen[side] === 0) continue;
        throw new RestyleError('file_not_found', `${path}: missing but pairs.jsonl lists ${seen[side]} ${side} example(s); nothing was changed`);
      }
      const rows = lines(path);
      if (rows.length !== seen[side]) throw new RestyleError('file_invalid', `${path}: ${rows.length} line(s) but pairs.jsonl lists ${seen[side]} ${side} example(s) (edited by hand?); nothing was changed`);
      rewrites.push([path, rows.filter((_, i) => !drop[side].has(i))]);
    }
  }
  let cached = 0;
  const cachePath = join(dir, '.cache', 'editor.jsonl');
  if (editorKeys.size > 0 && existsSync(cachePath)) {
    const kept = lines(cachePath).filter((line) => {
      const key = /^\{"key":"([^"]+)"/.exec(line)?.[1];
      if (key && editorKeys.has(key)) {
        cached += 1;
        return false;
      }
      return true;
    });
    rewrites.push([cachePath, kept]);
  }
  rewrites.push([pairsPath, keepPairs]);
  for (const [path, rows] of rewrites) writeFileAtomic(path, rows.length > 0 ? `${rows.join('\n')}\n` : '');
  const derived = DERIVED.filter((name) => existsSync(join(dir, name)));
  for (const name of derived) rmSync(join(dir, name), { recursive: true, force: true });

  const reportPath = join(dir, 'report.json');
  if (existsSync(reportPath)) {
    try {
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { forgotten?: unknown[] };
      report.forgotten = [...(report.forgotten ?? []), { at: now.toISOString(), examples: removed, reason: 'user' in rule ? 'user' : `retention (before ${cutoff})` }];
      writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    } catch {
      // A report we cannot read is left as it is: the data files are what matters.
    }
  }
  return { dir, examples: removed, cached, derived };
}
