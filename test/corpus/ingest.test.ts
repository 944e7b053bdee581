import { closeSync, cpSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ingest, resolveInputs } from '../../src/corpus/ingest.js';
import type { SourceDoc } from '../../src/corpus/source.js';
import { tmpDir } from '../support/tmp.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/corpus');

async function collect(paths: string[], cwd: string, options: { author?: string; exclude?: string[]; maxFileBytes?: number } = {}): Promise<{ docs: SourceDoc[]; warnings: string[] }> {
  const docs: SourceDoc[] = [];
  const warnings: string[] = [];
  for await (const d of ingest(resolveInputs(paths, cwd), cwd, { warn: (m) => warnings.push(m), ...options })) docs.push(d);
  return { docs, warnings };
}

/** The fixture Slack export as a zip, optionally under a top folder (as Slack's own zips sometimes are). */
function slackZip(dir: string, top = ''): string {
  const root = join(FIXTURES, 'slack-export');
  const entries: Record<string, Uint8Array> = {};
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else entries[`${top}${relative(root, p)}`] = strToU8(readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  const file = join(dir, 'slack.zip');
  writeFileSync(file, zipSync(entries));
  return file;
}

describe('ingest: text files and JSONL', () => {
  it('reads folders recursively in sorted order, one document per file, paths relative to the working directory', async () => {
    const cwd = tmpDir('ingest');
    cpSync(join(FIXTURES, 'federalist'), join(cwd, 'docs/federalist'), { recursive: true });
    mkdirSync(join(cwd, 'docs/notes'));
    writeFileSync(join(cwd, 'docs/notes/a.txt'), 'Windows line\r\nendings become plain.\r\n');
    writeFileSync(join(cwd, 'docs/.hidden.md'), 'never read');
    writeFileSync(join(cwd, 'docs/picture.png'), Buffer.from([0x89, 0x50]));
    writeFileSync(join(cwd, 'docs/notes/page.pdf'), 'x');
    const { docs, warnings } = await collect(['docs'], cwd);
    expect(docs.map((d) => d.id)).toEqual(['docs/federalist/01.md', 'docs/federalist/02.md', 'docs/federalist/03.md', 'docs/federalist/04.md', 'docs/federalist/05.md', 'docs/notes/a.txt']);
    expect(docs.at(-1)!.text).toBe('Windows line\nendings become plain.\n');
    expect(warnings).toEqual(['skipped 2 file(s) of other kinds inside the input folders (.pdf, .png)']);
  });

  it('every missing path is named in one error, before anything is read', () => {
    const cwd = tmpDir('ingest');
    mkdirSync(join(cwd, 'here'));
    expect(() => resolveInputs(['here', 'nope/', 'gone.md'], cwd)).toThrow('nope/, gone.md: no such file or directory');
  });

  it('skips binary, undecodable and empty files with a warning naming each', async () => {
    const cwd = tmpDir('ingest');
    mkdirSync(join(cwd, 'in'));
    writeFileSync(join(cwd, 'in/bin.txt'), Buffer.from([0x50, 0x00, 0x01]));
    writeFileSync(join(cwd, 'in/latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(join(cwd, 'in/empty.md'), ' \n\n');
    writeFileSync(join(cwd, 'in/good.md'), 'Fine text.');
    const { docs, warnings } = await collect(['in'], cwd);
    expect(docs.map((d) => d.id)).toEqual(['in/good.md']);
    expect(warnings).toEqual(['in/bin.txt: skipped (binary file)', 'in/empty.md: skipped (empty)', 'in/latin1.txt: skipped (not valid UTF-8)']);
  });

  it('JSONL: one document per row (or per "doc"), and a bad row is an error naming file:line', async () => {
    const cwd = tmpDir('ingest');
    writeFileSync(join(cwd, 'rows.jsonl'), ['{"text":"first row","id":"a"}', '', '{"text":"second row"}', '{"text":"part one","doc":"essay"}', '{"text":"part two","doc":"essay"}'].join('\n'));
    const { docs } = await collect(['rows.jsonl'], cwd);
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['rows.jsonl#a', 'first row'],
      ['rows.jsonl:3', 'second row'],
      ['rows.jsonl#essay', 'part one'],
      ['rows.jsonl#essay', 'part two'],
    ]);
    writeFileSync(join(cwd, 'bad.jsonl'), '{"text":"fine"}\n{oops\n');
    await expect(collect(['bad.jsonl'], cwd)).rejects.toMatchObject({ code: 'file_invalid', message: expect.stringMatching(/^bad\.jsonl:2: not valid JSON/) });
    writeFileSync(join(cwd, 'notext.jsonl'), '{"text":"fine"}\n{"body":"x"}\n');
    await expect(collect(['notext.jsonl'], cwd)).rejects.toMatchObject({ message: 'notext.jsonl:2: expected an object with a "text" string' });
  });

  it('a file too big to read whole is skipped for its size, not called "not valid UTF-8"; .jsonl streams past the cap', async () => {
    const cwd = tmpDir('ingest-huge');
    // 700 MB of nothing on disk (sparse): the size alone must decide, before a byte is read.
    const fd = openSync(join(cwd, 'huge.txt'), 'w');
    ftruncateSync(fd, 700 * 2 ** 20);
    closeSync(fd);
    const huge = await collect(['huge.txt'], cwd);
    expect(huge.docs).toEqual([]);
    expect(huge.warnings).toEqual(['huge.txt: skipped (700 MB, over the 64 MB limit for a file read whole: raise corpus.maxFileMB, split it, or give it as .jsonl, which is streamed)']);
    // A small cap (corpus.maxFileMB) applies to ASCII text and Discord .json alike, inside folders too.
    mkdirSync(join(cwd, 'in'));
    const ascii = 'The quick brown fox jumps over the lazy dog. '.repeat(30_000);
    writeFileSync(join(cwd, 'in', 'big.md'), ascii);
    writeFileSync(join(cwd, 'in', 'big.json'), JSON.stringify({ channel: { id: '1' }, messages: [{ id: '1', content: ascii }] }));
    writeFileSync(join(cwd, 'in', 'big.jsonl'), `${JSON.stringify({ text: ascii })}\n`);
    const capped = await collect(['in'], cwd, { maxFileBytes: 2 ** 20 });
    expect(capped.warnings.map((w) => w.replace(/ \(.*/, ''))).toEqual(['in/big.json: skipped', 'in/big.md: skipped']);
    expect(capped.warnings[1]).toContain('(1.3 MB, over the 1 MB limit for a file read whole');
    expect(capped.docs.map((d) => d.id)).toEqual(['in/big.jsonl:1']);
  });

  it('never reads the output folder, even when it sits inside an input folder', async () => {
    const cwd = tmpDir('ingest');
    mkdirSync(join(cwd, 'in/out'), { recursive: true });
    writeFileSync(join(cwd, 'in/a.md'), 'Text.');
    writeFileSync(join(cwd, 'in/out/train.jsonl'), '{"messages":[]}\n');
    const { docs } = await collect(['in'], cwd, { exclude: [join(cwd, 'in/out')] });
    expect(docs.map((d) => d.id)).toEqual(['in/a.md']);
  });
});

describe('ingest: chat exports', () => {
  it('a Slack export folder: people only (no bots, joins), one document per channel-day, ts as provenance, Slack escapes undone', async () => {
    const { docs } = await collect([join(FIXTURES, 'slack-export')], FIXTURES);
    expect(docs.map((d) => d.id)).toEqual([
      'slack-export/general/2023-11-14.json',
      'slack-export/general/2023-11-14.json',
      'slack-export/general/2023-11-14.json',
      'slack-export/general/2023-11-14.json',
      'slack-export/general/2023-11-15.json',
      'slack-export/general/2023-11-15.json',
      'slack-export/general/2023-11-15.json',
      'slack-export/releases/2023-11-16.json',
      'slack-export/releases/2023-11-16.json',
    ]);
    expect(docs[0]).toMatchObject({ ref: '1700000000.000100', text: expect.stringMatching(/^Ahoy, crew! The <release> sails at dawn & not/) });
    expect(docs.map((d) => d.text).join('\n')).not.toMatch(/Build 4127|has joined|Released v2/);
  });

  it('the same export as a .zip (with or without a top folder); --author by user id or by name', async () => {
    const cwd = tmpDir('slack-zip');
    for (const top of ['', 'Acme Slack export/']) {
      slackZip(cwd, top);
      const all = await collect(['slack.zip'], cwd);
      expect(all.docs).toHaveLength(9);
      expect(all.docs[0]!.id).toBe('slack.zip/general/2023-11-14.json');
      const byId = await collect(['slack.zip'], cwd, { author: 'U02BO' });
      expect(byId.docs.map((d) => d.ref)).toEqual(['1700000000.000200', '1700086400.000200', '1700172800.000300']);
      const byName = await collect(['slack.zip'], cwd, { author: 'Captain Ana' });
      expect(byName.docs).toHaveLength(6);
      expect(new Set(byName.docs.map((d) => d.text.slice(0, 4)))).not.toContain('Nice');
    }
  });

  it('a corrupt zip named on the command line is an error naming it; one found in a folder is skipped with a warning', async () => {
    const cwd = tmpDir('bad-zip');
    writeFileSync(join(cwd, 'bad.zip'), 'not a zip');
    await expect(collect(['bad.zip'], cwd)).rejects.toMatchObject({ code: 'file_invalid', message: expect.stringMatching(/^bad\.zip: not a readable zip/) });
    mkdirSync(join(cwd, 'dir'));
    writeFileSync(join(cwd, 'dir/other.zip'), zipSync({ 'readme.txt': strToU8('hi') }));
    writeFileSync(join(cwd, 'dir/a.md'), 'Text.');
    const { docs, warnings } = await collect(['dir'], cwd);
    expect(docs).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^dir\/other\.zip: skipped \(not a Slack export/)]);
  });

  it('a DiscordChatExporter file: people only, default and reply messages, one document per day; --author by id, name or nickname', async () => {
    const { docs } = await collect(['discord/announcements.json'], FIXTURES);
    expect(docs.map((d) => [d.id, d.ref])).toEqual([
      ['discord/announcements.json#2023-11-14', '1100000000000000001'],
      ['discord/announcements.json#2023-11-14', '1100000000000000004'],
      ['discord/announcements.json#2023-11-15', '1100000000000000005'],
    ]);
    for (const author of ['700000000000000001', 'ana', 'Innkeeper Ana']) {
      expect((await collect(['discord/announcements.json'], FIXTURES, { author })).docs.map((d) => d.ref)).toEqual(['1100000000000000001', '1100000000000000005']);
    }
  });

  it('a .json that is not a Discord export is an error when named, a warning inside a folder', async () => {
    const cwd = tmpDir('bad-json');
    mkdirSync(join(cwd, 'dir'));
    writeFileSync(join(cwd, 'dir/x.json'), '{"a":1}');
    await expect(collect(['dir/x.json'], cwd)).rejects.toMatchObject({ message: 'dir/x.json: not a DiscordChatExporter export (expected "channel" and "messages")' });
    expect((await collect(['dir'], cwd)).warnings).toEqual(['dir/x.json: skipped (JSON, but not a DiscordChatExporter export)']);
    writeFileSync(join(cwd, 'broken.json'), '{"a":');
    await expect(collect(['broken.json'], cwd)).rejects.toMatchObject({ message: expect.stringMatching(/^broken\.json: not valid JSON/) });
  });
});
