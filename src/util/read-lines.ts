import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** A line longer than the reader's limit: counted, never held whole. */
export interface LongLine {
  tooLong: true;
  /** Its length in characters. */
  chars: number;
}

/** The longest JSONL line read: far over any example (OpenAI's largest is 65,536 tokens, ~260 kB) or document a build takes. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * The lines of a UTF-8 file, split at `\n`, `\r\n` or `\r` as readline does (no empty line after a final
 * break), except that a line over `maxChars` is not built: it comes as a `LongLine`, so one hostile line of
 * gigabytes cannot exhaust memory or hit the engine's string limit.
 */
export function readLines(file: string, maxChars = MAX_LINE_CHARS, chunkBytes?: number): AsyncGenerator<string | LongLine, void, undefined> {
  return splitLines(createReadStream(file, chunkBytes ? { highWaterMark: chunkBytes } : {}), maxChars);
}

/** `readLines` over any stream of UTF-8 bytes (a download, say). */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, maxChars = MAX_LINE_CHARS): AsyncGenerator<string | LongLine, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let parts: string[] = [];
  let length = 0;
  let skipped = -1; // chars of a line over the limit, else -1
  let pendingCr = false;
  function* cut(text: string): Generator<string | LongLine> {
    let from = 0;
    if (pendingCr) {
      pendingCr = false;
      if (text.startsWith('\n')) from = 1;
    }
    for (let i = from; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      append(text.slice(from, i));
      yield finish();
      if (ch === 13) {
        if (i + 1 === text.length) pendingCr = true;
        else if (text.charCodeAt(i + 1) === 10) i += 1;
      }
      from = i + 1;
    }
    append(text.slice(from));
  }
  function append(piece: string): void {
    if (skipped >= 0) skipped += piece.length;
    else if (length + piece.length > maxChars) {
      skipped = length + piece.length;
      parts = [];
    } else {
      parts.push(piece);
      length += piece.length;
    }
  }
  // The current line (or its LongLine), and start the next.
  function finish(): string | LongLine {
    const line: string | LongLine = skipped >= 0 ? { tooLong: true, chars: skipped } : parts.join('');
    parts = [];
    length = 0;
    skipped = -1;
    return line;
  }
  for await (const chunk of chunks) yield* cut(decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  yield* cut(decoder.end());
  if (length > 0 || skipped >= 0) yield finish();
}

export function isLongLine(line: string | LongLine): line is LongLine {
  return typeof line !== 'string';
}

/** What is wrong with a line too long to read, for messages naming file:line. */
export function tooLong(chars: number): string {
  return `a line of ${chars.toLocaleString('en-US')} characters, over the ${MAX_LINE_CHARS.toLocaleString('en-US')}-character limit for one line: not read`;
}
