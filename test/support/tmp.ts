import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A fresh directory under the OS temp dir, removed when the test worker exits. */
export function tmpDir(prefix = 'restyle'): string {
  const dir = mkdtempSync(join(tmpdir(), `restyle-${prefix}-`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    // Works wherever it is first called (test, hook or module body), unlike registering afterAll late.
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
