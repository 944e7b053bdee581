import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemErrorLine } from '../../src/util/system-error.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const fake = useFakeOpenAI();

describe('systemErrorLine', () => {
  it('says what a file system refusal means, naming the path Node gives (or the one the caller knows)', () => {
    const at = (code: string, extra: object = {}) => Object.assign(new Error(`${code}: terse`), { code, ...extra });
    expect(systemErrorLine(at('ENOSPC', { syscall: 'write' }))).toBe('no space left on the device: free some and run the command again (ENOSPC on write)');
    expect(systemErrorLine(at('EACCES', { path: '/data/out', syscall: 'open' }))).toBe('/data/out: permission denied: can this user read (or write) it? (EACCES on open)');
    expect(systemErrorLine(at('EISDIR', { syscall: 'read' }), 'config')).toBe('config: is a folder, where a file was expected (EISDIR on read)');
    expect(systemErrorLine(at('ECONNRESET'))).toBeUndefined();
    expect(systemErrorLine(new Error('plain'))).toBeUndefined();
  });

  it('the CLI prints it as one line, not "unexpected error"', async () => {
    const cwd = tmpDir('system-error');
    mkdirSync(join(cwd, 'in'));
    writeFileSync(join(cwd, 'in/a.txt'), 'Some text worth keeping, long enough to be a block of its own.\n');
    writeFileSync(join(cwd, 'blocker'), 'a file where the output folder should go');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  x:\n    model: x-1\n');
    const r = await runInProcess(['corpus', 'build', '--in', 'in', '--out', 'blocker/out', '--style', 'x'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(r.stderr).toMatch(/blocker/);
  });
});
