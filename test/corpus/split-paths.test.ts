import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const REAL = resolve(import.meta.dirname, '../fixtures/realworld');
const FILES = ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl'];

const fake = useFakeOpenAI({ responder: (body: { messages: Array<{ content: string }> }) => body.messages.at(-1)!.content.replace(/,/g, '') });

/** A working directory with a config, and the given inputs laid out under it. */
function workspace(name: string): string {
  const cwd = tmpDir(name);
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  chat:\n    model: ft:chat\n');
  return cwd;
}

async function build(cwd: string, inputs: string[], seed: string, fraction = '0.1'): Promise<Record<string, string>> {
  const r = await runInProcess(['corpus', 'build', '--in', ...inputs, '--out', 'out', '--style', 'chat', '--seed', seed, '--valid-fraction', fraction, '--json'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).split).toBe('document');
  return Object.fromEntries(FILES.map((f) => [f, readFileSync(join(cwd, 'out', f), 'utf8')]));
}

describe('the split does not depend on the path', () => {
  it('a Slack export as a .zip and as a folder (elsewhere, relative or absolute), with a Discord folder: byte-identical outputs per seed', async () => {
    const a = workspace('paths-zip');
    mkdirSync(join(a, 'exports'));
    cpSync(join(REAL, 'slack-export-viewer/testarchive.zip'), join(a, 'exports/slack.zip'));
    cpSync(join(REAL, 'dce-frontend'), join(a, 'exports/discord'), { recursive: true });

    const b = workspace('paths-folder');
    const unpacked = join(b, 'somewhere/else/slack-export');
    for (const [name, data] of Object.entries(unzipSync(readFileSync(join(REAL, 'slack-export-viewer/testarchive.zip'))))) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(unpacked, name)), { recursive: true });
      writeFileSync(join(unpacked, name), data);
    }
    cpSync(join(REAL, 'dce-frontend'), join(b, 'dc'), { recursive: true });

    for (const seed of ['1', '7']) {
      const fromZip = await build(a, ['exports/slack.zip', 'exports/discord'], seed);
      const fromFolder = await build(b, [unpacked, 'dc'], seed);
      expect(fromZip['valid.jsonl']!.length).toBeGreaterThan(0);
      for (const f of FILES) expect(fromFolder[f], `${f}, seed ${seed}`).toBe(fromZip[f]);
    }
  });

  it('text folders: the same files under another root split alike', async () => {
    const a = workspace('paths-text-a');
    cpSync(resolve(import.meta.dirname, '../fixtures/corpus/federalist'), join(a, 'in/federalist'), { recursive: true });
    const b = workspace('paths-text-b');
    cpSync(resolve(import.meta.dirname, '../fixtures/corpus/federalist'), join(b, 'deep/er/papers'), { recursive: true });
    // 0.4: with five papers each bigger than a tenth, the smallest would be held out whatever the seed.
    for (const seed of ['2', '3', '4']) expect(await build(b, [join(b, 'deep/er/papers')], seed, '0.4'), `seed ${seed}`).toEqual(await build(a, ['in/federalist'], seed, '0.4'));
  });
});
