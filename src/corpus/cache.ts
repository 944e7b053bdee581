import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from '../util/hash.js';

export interface CachedResult {
  neutral: string;
  promptTokens: number;
  completionTokens: number;
}

/**
 * The editor's results, keyed by a hash of (editor model, editor prompt, block), appended to a JSONL file
 * one line per result as soon as it arrives. A killed run loses at most the requests in flight; a re-run
 * pays only for blocks without a line; a changed prompt or model changes every key, so nothing stale is
 * reused. (A torn last line from a kill is ignored on load.)
 */
export class EditorCache {
  private readonly entries = new Map<string, CachedResult>();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const row = JSON.parse(line) as { key: string } & CachedResult;
        this.entries.set(row.key, { neutral: row.neutral, promptTokens: row.promptTokens, completionTokens: row.completionTokens });
      } catch {
        // torn write from an interrupted run: that block is simply asked again
      }
    }
  }

  static key(model: string, prompt: string, block: string): string {
    return sha256(model, prompt, block);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedResult | undefined {
    return this.entries.get(key);
  }

  put(key: string, result: CachedResult): void {
    if (this.entries.size === 0) mkdirSync(dirname(this.file), { recursive: true });
    // Synchronous append: the line is on disk before the block counts as done.
    appendFileSync(this.file, `${JSON.stringify({ key, ...result })}\n`);
    this.entries.set(key, result);
  }
}
