import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSlackExport } from '../../src/corpus/chat-exports.js';
import { ZipReader } from '../../src/corpus/zip.js';
import { RestyleError } from '../../src/errors.js';
import { BIN } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { makeZip, type BombEntry } from '../support/zip-bomb.js';

const MB = 2 ** 20;

/** Eight 400 MB entries of zeros behind a real channels.json: 3.2 GB unpacked. */
function bomb(declaredSize?: number): BombEntry[] {
  return [
    { name: 'channels.json', data: Buffer.from('[{"id":"C1","name":"general"}]') },
    ...Array.from({ length: 8 }, (_, i) => ({ name: `general/2024-01-0${i + 1}.json`, zeros: 400 * MB, ...(declaredSize !== undefined ? { declaredSize } : {}) })),
  ];
}

function drain(docs: Iterable<unknown>): unknown {
  try {
    for (const _ of docs) void _;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('zip exports are unpacked one entry at a time, within caps', () => {
  it('an honest bomb (entries declare 400 MB) stops at the per-entry cap, naming the entry', () => {
    const dir = tmpDir('zip-bomb');
    writeFileSync(join(dir, 'bomb.zip'), makeZip(bomb()));
    const error = drain(readSlackExport(join(dir, 'bomb.zip'), 'bomb.zip'));
    expect(error).toBeInstanceOf(RestyleError);
    expect((error as RestyleError).code).toBe('file_invalid');
    expect((error as Error).message).toBe('bomb.zip: entry general/2024-01-01.json: declares 400 MB unpacked, over the 256 MB cap per entry (corpus.zip.maxEntryMB)');
  });

  it('a lying bomb (entries declare 1 KB) stops at the compression-ratio cap as it unpacks', () => {
    const dir = tmpDir('zip-liar');
    writeFileSync(join(dir, 'bomb.zip'), makeZip(bomb(1024)));
    const error = drain(readSlackExport(join(dir, 'bomb.zip'), 'bomb.zip'));
    expect((error as Error).message).toMatch(/^bomb\.zip: entry general\/2024-01-01\.json: unpacks to over 100× its compressed size .*compression ratio cap \(corpus\.zip\.maxRatio\)/);
  });

  it('per-entry and total caps count what really unpacks (sizes that lie do not help)', () => {
    const dir = tmpDir('zip-caps');
    const text = (seed: number): Uint8Array => Buffer.from(Array.from({ length: 40_000 }, (_, i) => ((i * 7919 + seed) % 65_521).toString(36)).join(' '));
    const entries = [0, 1, 2].map((i) => ({ name: `e${i}.json`, data: text(i), declaredSize: 10 }));
    writeFileSync(join(dir, 'x.zip'), makeZip(entries));
    const size = entries[0]!.data.length;
    const small = ZipReader.open(join(dir, 'x.zip'), 'x.zip', { maxEntryBytes: size - 1, maxTotalBytes: 10 * size, maxRatio: 100 });
    expect(() => small.read(small.entries[0]!)).toThrow(/^x\.zip: entry e0\.json: unpacks to more than the [0-9.]+ KB cap per entry/);
    small.close();
    const total = ZipReader.open(join(dir, 'x.zip'), 'x.zip', { maxEntryBytes: 10 * size, maxTotalBytes: 2.5 * size, maxRatio: 100 });
    expect(Buffer.from(total.read(total.entries[0]!)).equals(Buffer.from(entries[0]!.data))).toBe(true);
    total.read(total.entries[1]!);
    expect(() => total.read(total.entries[2]!)).toThrow(/^x\.zip: entry e2\.json: the zip unpacks to more than the [0-9.]+ KB cap in total \(corpus\.zip\.maxTotalMB\)/);
    total.close();
  });

  it('reads a real export zip the same as before (slack-export-viewer testarchive.zip)', () => {
    const docs = [...readSlackExport(resolve(import.meta.dirname, '../fixtures/realworld/slack-export-viewer/testarchive.zip'), 'testarchive.zip')] as Array<{ id: string }>;
    expect(docs.length).toBeGreaterThan(20);
    expect(new Set(docs.map((d) => d.id.split('/')[1])).size).toBeGreaterThan(1);
  });

  it.each([
    ['honest', undefined, 'bomb.zip: entry general/2024-01-01.json: declares 400 MB unpacked, over the 256 MB cap per entry'],
    ['lying', 1024, 'bomb.zip: entry general/2024-01-01.json: unpacks to over 100× its compressed size'],
  ])('corpus build on a 3.2 GB %s bomb: the process peaks under 300 MB and names the entry', async (_kind, declared, message) => {
    const cwd = tmpDir('zip-bomb-cli');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: ft:pirate\n');
    writeFileSync(join(cwd, 'bomb.zip'), makeZip(bomb(declared)));
    expect(statSync(join(cwd, 'bomb.zip')).size).toBeLessThan(5 * MB);
    const peakFile = join(cwd, 'peak');
    const child = spawn(process.execPath, ['--import', resolve(import.meta.dirname, '../support/peak-rss.mjs'), BIN, 'corpus', 'build', '--in', 'bomb.zip', '--out', 'out', '--style', 'pirate'], {
      cwd,
      env: { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-unused', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', PEAK_RSS_FILE: peakFile },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(message);
    const peak = Number(readFileSync(peakFile, 'utf8'));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(300 * MB);
  }, 60_000);
});
