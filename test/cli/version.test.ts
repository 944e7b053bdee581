import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

describe('restyle --version', () => {
  it("prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    for (const flag of ['--version', '-V']) {
      const r = await runInProcess([flag], { env: {}, cwd: tmpDir('version') });
      expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    }
  });
});
