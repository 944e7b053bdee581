import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';

/**
 * A JSONL file written line by line to a temporary name and renamed into place on `commit`, so a reader
 * (or a crash) never sees a half-written file.
 */
export class AtomicJsonl {
  private readonly tmp: string;
  private readonly fd: number;
  count = 0;

  constructor(private readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmp, 'w');
  }

  write(row: unknown): void {
    writeSync(this.fd, `${JSON.stringify(row)}\n`);
    this.count += 1;
  }

  /** Drop the temporary file; the destination is left as it was. */
  abort(): void {
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }

  commit(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
}

/** Write a whole file atomically (temp name, then rename). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
