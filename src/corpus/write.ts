import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';

const FLUSH_BYTES = 64 * 1024;

/**
 * A JSONL file written line by line to a temporary name beside it and renamed into place on `commit`, so
 * a reader (or a crash) never sees a half-written file. Lines are buffered (64 KB) and hashed as they go,
 * so writing 30k examples costs a few hundred syscalls and no second read.
 */
export class AtomicJsonl {
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly hash: Hash = createHash('sha256');
  private buffer: string[] = [];
  private buffered = 0;
  count = 0;
  bytes = 0;

  constructor(private readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmp, 'w');
  }

  write(row: unknown): void {
    this.writeLine(JSON.stringify(row));
  }

  /** A line that is already JSON (no newline). */
  writeLine(json: string): void {
    const line = `${json}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    this.count += 1;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  /** sha256 of everything written so far (hex); final after `commit`. */
  get sha256(): string {
    return this.hash.copy().digest('hex');
  }

  /** Drop the temporary file; the destination is left as it was. */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }

  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: already committed or aborted`);
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
  }

  private flush(): void {
    if (this.buffer.length === 0 || this.fd === undefined) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.buffered = 0;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    for (let off = 0; off < chunk.length; ) off += writeSync(this.fd, chunk, off);
  }
}

/** Write a whole file atomically (temp name, fsync, rename). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
