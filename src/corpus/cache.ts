import { createReadStream, closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One editor answer as paid for: the text and what it cost. */
export interface EditorAnswer {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: string | null;
}

/**
 * The editor's answers, keyed by a hash of the exact request (model, prompt, block, settings — see
 * `requestKey`), kept in `OUT/.cache/editor.jsonl`, one line per answer, appended as soon as the turn of the
 * event loop it arrived in is over (see `put`).
 *
 * Why an append-only JSONL file rather than SQLite: answers are appended with plain `write()`s, so a killed
 * run loses at most the requests in flight and never a written answer (the kernel keeps the page even when
 * the process dies); a torn last line (power loss) is cut off on the next open; the file needs no native
 * module, is readable with `jq`, and can be copied or deleted by hand. A changed editor prompt or model
 * changes every key, so stale answers are never reused — they just stay in the file unread.
 *
 * Memory stays flat: only key → (offset, length) is held; an answer is read back from disk when needed.
 */
export class EditorCache {
  private readonly slots = new Map<string, number>();
  /** Slot → key (the strings the map already holds). */
  private readonly keys: string[] = [];
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private size: number;
  /** Where this run's answers start in the file: an answer stored below it was paid for by an earlier run. */
  private readonly openedAt: number;
  private fd: number | undefined;
  /** Lines put since the last write: appended together once this turn of the event loop is over. */
  private pending: string[] = [];
  private flushing: NodeJS.Immediate | undefined;
  /** Lines that could not be read (a torn write from an interrupted run): those blocks are simply asked again. */
  readonly unreadable: number;

  private constructor(
    readonly file: string,
    fd: number,
    size: number,
    unreadable: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.openedAt = size;
    this.unreadable = unreadable;
  }

  static async open(file: string): Promise<EditorCache> {
    mkdirSync(dirname(file), { recursive: true });
    const entries: Array<[string, number, number]> = [];
    let unreadable = 0;
    let end = 0;
    if (existsSync(file)) {
      let offset = 0;
      let carry: Buffer | null = null;
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
        const buf: Buffer = carry ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
        let start = 0;
        for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
          const key = parseKey(buf.subarray(start, nl));
          if (key) entries.push([key, offset + start, nl - start]);
          else if (nl > start) unreadable += 1;
          start = nl + 1;
        }
        offset += start;
        carry = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
      }
      end = offset;
      if (carry) unreadable += 1;
    }
    const fd = openSync(file, 'a+');
    // Cut a torn last line, so the next answer starts on a line of its own.
    if (fstatSync(fd).size !== end) ftruncateSync(fd, end);
    const cache = new EditorCache(file, fd, end, unreadable);
    for (const [key, off, len] of entries) cache.remember(key, off, len);
    return cache;
  }

  get entries(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Whether the answer for `key` was stored by an earlier run (not by `put` since this cache was opened). */
  fromEarlierRun(key: string): boolean {
    const slot = this.slots.get(key);
    return slot !== undefined && this.offsets[slot]! < this.openedAt;
  }

  /** The slot of `key`'s answer (for `getAt`/`keyAt`), −1 when there is none. */
  slotOf(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  get(key: string): EditorAnswer | undefined {
    return this.getAt(this.slotOf(key));
  }

  getAt(slot: number): EditorAnswer | undefined {
    if (slot < 0 || slot >= this.keys.length || this.fd === undefined) return undefined;
    this.flush();
    const len = this.lengths[slot]!;
    const buf = Buffer.allocUnsafe(len);
    let read = 0;
    while (read < len) {
      const n = readSync(this.fd, buf, read, len - read, this.offsets[slot]! + read);
      if (n === 0) return undefined;
      read += n;
    }
    const row = JSON.parse(buf.toString('utf8')) as { text: string; promptTokens?: number; completionTokens?: number; finishReason?: string | null };
    return { text: row.text, promptTokens: row.promptTokens ?? 0, completionTokens: row.completionTokens ?? 0, finishReason: row.finishReason ?? null };
  }

  /**
   * Append one answer and index it. The answers that arrive in one turn of the event loop (dozens at a time in
   * a 64-wide build) go out in one write() when the turn is over, instead of one write() each: a kill loses at
   * most the answers of that turn — as if they were still in flight — never one written before it.
   */
  put(key: string, answer: EditorAnswer): void {
    if (this.fd === undefined) throw new Error(`${this.file}: cache is closed`);
    const line = `${JSON.stringify({ key, text: answer.text, promptTokens: answer.promptTokens, completionTokens: answer.completionTokens, finishReason: answer.finishReason })}\n`;
    const bytes = Buffer.byteLength(line, 'utf8');
    this.pending.push(line);
    this.remember(key, this.size, bytes - 1);
    this.size += bytes;
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Write the pending lines now (before reading one back, and on close). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.pending.length === 0 || this.fd === undefined) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    for (let off = 0; off < chunk.length; ) off += writeSync(this.fd, chunk, off);
  }

  /** Flush to disk (at the end of a run; a kill without it still keeps every answer written). */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private remember(key: string, offset: number, length: number): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot >= this.offsets.length) {
        const offsets = new Float64Array(this.offsets.length * 2);
        offsets.set(this.offsets);
        this.offsets = offsets;
        const lengths = new Uint32Array(this.lengths.length * 2);
        lengths.set(this.lengths);
        this.lengths = lengths;
      }
      this.slots.set(key, slot);
      this.keys.push(key);
    }
    this.offsets[slot] = offset;
    this.lengths[slot] = length;
  }
}

/** The key of a complete, readable cache line, or null. */
function parseKey(line: Buffer): string | null {
  if (line.length === 0) return null;
  try {
    const row = JSON.parse(line.toString('utf8')) as { key?: unknown; text?: unknown };
    return typeof row.key === 'string' && typeof row.text === 'string' ? row.key : null;
  } catch {
    return null;
  }
}
