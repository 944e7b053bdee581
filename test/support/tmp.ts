import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// Registered while the importing test file is collected, so it runs after that file's tests (after hooks
// run in reverse order: after the file's own afterAll/afterEach that close stores in these directories).
// Vitest ends its workers without an 'exit' event, so an exit hook alone leaks every directory.
try {
  afterAll(removeAll);
} catch {
  // imported outside a test file's collection (e.g. a bench)
}
process.once('exit', removeAll);

/** A fresh directory under the OS temp dir, removed after the test file that made it. */
export function tmpDir(prefix = 'restyle'): string {
  const dir = mkdtempSync(join(tmpdir(), `restyle-${prefix}-`));
  made.push(dir);
  return dir;
}
