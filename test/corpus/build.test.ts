import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn, type StdioOptions } from 'node:child_process';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';
import { BIN, runInProcess } from '../support/cli.js';
import { countMessageTokens } from '../../src/llm/tokens.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/corpus/federalist');
let cwd: string;

// The fake editor "strips the style": semicolons become full stops. Every fact survives.
const editor = (body: { messages: Array<{ role: string; content: string }> }) => body.messages.at(-1)!.content.replace(/;/g, '.');

const fake = useFakeOpenAI();
beforeEach(() => {
  fake.reset();
  fake.setResponder(editor);
  cwd = tmpDir('corpus');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  publius:\n    model: ft:publius\n    destyler: ft:publius-de\ncorpus:\n  editorModel: editor-1\n');
});

const env = () => ({ OPENAI_API_KEY: 'sk-corpus', OPENAI_BASE_URL: fake.url });
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const chats = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
/** `restyle corpus build` of the fixtures as its own process (to be interrupted or killed), two requests at a time. */
const spawnBuild = (out: string, stdio: StdioOptions) =>
  spawn(process.execPath, [BIN, 'corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--concurrency', '2'], { cwd, env: { PATH: process.env.PATH, ...env() }, stdio });

describe('restyle corpus build', () => {
  it('writes styler and de-styler data from the Federalist fixtures, split by document', async () => {
    const out = join(cwd, 'out');
    const r = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--valid-fraction', '0.2'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const train = lines(join(out, 'train.jsonl'));
    const valid = lines(join(out, 'valid.jsonl'));
    const dtrain = lines(join(out, 'destyle.train.jsonl'));
    const pairs = lines(join(out, 'pairs.jsonl'));
    expect(train.length).toBeGreaterThan(20);
    expect(valid.length).toBeGreaterThan(0);
    expect(dtrain).toHaveLength(train.length);
    // Styler: system = the style prompt, user = neutral, assistant = the original block verbatim.
    const ex = train[0];
    expect(ex.messages[0]).toEqual({ role: 'system', content: 'Please, rewrite the provided text in your style:' });
    const pair = pairs.find((p: { neutral: string }) => p.neutral === ex.messages[1].content);
    expect(ex.messages[2].content).toBe(pair.styled);
    expect(dtrain[0].messages[0].content).toBe('Please, rewrite the provided text in a neutral style:');
    // No document on both sides.
    const trainDocs = new Set(pairs.filter((p: { split: string }) => p.split === 'train').map((p: { doc: string }) => p.doc));
    const validDocs = new Set(pairs.filter((p: { split: string }) => p.split === 'valid').map((p: { doc: string }) => p.doc));
    expect([...validDocs].filter((d) => trainDocs.has(d))).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({
      style: 'publius',
      split: 'document',
      complete: true,
      inputs: { documents: 5 },
      examples: { train: train.length, valid: valid.length },
      editor: { model: 'editor-1', mode: 'live', requests: chats().length, reused: 0 },
      failed: [],
    });
    // Every source document lands on exactly one side, at least one on each.
    expect(report.documents.train + report.documents.valid).toBe(5);
    expect(report.documents.valid).toBeGreaterThan(0);
    expect(trainDocs.size).toBe(report.documents.train);
    expect(validDocs.size).toBe(report.documents.valid);
    // Every block is accounted for: written, rejected or failed.
    expect(report.blocks).toBe(train.length + valid.length + report.rejected.length + report.failed.length);
    expect(report.files['train.jsonl'].examples).toBe(train.length);
    expect(report.files['destyle.valid.jsonl'].examples).toBe(valid.length);
    expect(report.tokensPerExample.max).toBeGreaterThan(report.tokensPerExample.p50);
    expect(r.stderr).toMatch(/start evaluating a style at 2,000/);
    expect(chats()[0]!.body.model).toBe('editor-1');
  });

  it('training tokens per epoch count the training file only, in report.json and in the summary', async () => {
    const out = join(cwd, 'out');
    const r = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--valid-fraction', '0.3'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const tokens = (file: string) => lines(join(out, file)).reduce((n: number, ex: { messages: [] }) => n + countMessageTokens(ex.messages), 0);
    const styler = { train: tokens('train.jsonl'), valid: tokens('valid.jsonl') };
    const destyler = { train: tokens('destyle.train.jsonl'), valid: tokens('destyle.valid.jsonl') };
    expect(styler.valid).toBeGreaterThan(0);
    const { training, examples } = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(training.styler).toMatchObject({ trainExamples: examples.train, validExamples: examples.valid, trainTokens: styler.train, validTokens: styler.valid });
    expect(training.destyler).toMatchObject({ trainTokens: destyler.train, validTokens: destyler.valid });
    expect(training.styler.estimatedCostUsd).toBe(Math.round(((styler.train * training.defaultEpochs) / 1e6) * training.pricePerMTok * 100) / 100);
    const fmt = (n: number) => n.toLocaleString('en-US');
    expect(r.stderr).toContain(`training: styler ${fmt(styler.train)} tokens/epoch`);
    expect(r.stderr).toContain(`de-styler ${fmt(destyler.train)} tokens/epoch`);
  });

  it('a re-run pays nothing and writes byte-identical files; a changed editor prompt re-pays', async () => {
    const out = join(cwd, 'out');
    const args = ['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--seed', '3'];
    expect((await runInProcess(args, { env: env(), cwd })).code).toBe(0);
    const first = chats().length;
    const before = ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl'].map((f) => readFileSync(join(out, f), 'utf8'));
    expect((await runInProcess(args, { env: env(), cwd })).code).toBe(0);
    expect(chats().length).toBe(first);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).editor).toMatchObject({ requests: 0, reused: first, usage: { promptTokens: 0, completionTokens: 0 } });
    const after = ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl'].map((f) => readFileSync(join(out, f), 'utf8'));
    expect(after).toEqual(before);
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  publius:\n    model: ft:publius\ncorpus:\n  editorModel: editor-1\n  editorPrompt: Neutralise it.\n');
    expect((await runInProcess(args, { env: env(), cwd })).code).toBe(0);
    expect(chats().length).toBe(first * 2);
  });

  it('Ctrl-C mid-run says the answers are kept and how to go on, exits 130, and the re-run reuses them', async () => {
    const out = join(cwd, 'interrupted');
    fake.setLatency(150);
    const child = spawnBuild(out, ['ignore', 'ignore', 'pipe']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await vi.waitFor(() => expect(chats().length).toBeGreaterThan(6), { timeout: 15_000, interval: 50 });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(`interrupted: the answers so far are kept in ${out}/.cache; run the same command again to go on from there`);
    fake.setLatency(0);
    const resumed = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--json'], { env: env(), cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).editor.reused).toBeGreaterThan(0);
  });

  it('killed mid-run, a re-run asks only for the missing blocks and matches an uninterrupted run', async () => {
    const out = join(cwd, 'killed');
    fake.setLatency(150);
    const child = spawnBuild(out, 'ignore');
    await vi.waitFor(() => expect(chats().length).toBeGreaterThan(10), { timeout: 15_000, interval: 50 });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fake.setLatency(0);
    expect(existsSync(join(out, 'train.jsonl'))).toBe(false);
    const paid = chats().length;
    const resumed = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--json'], { env: env(), cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    // Answers paid for before the kill are reused; only the rest are asked, each block exactly once.
    expect(report.editor.reused).toBeGreaterThan(0);
    expect(report.editor.reused).toBeLessThan(report.blocks);
    expect(report.editor.reused + report.editor.requests).toBe(report.blocks);
    expect(chats().length - paid).toBe(report.editor.requests);
    const asked = new Set(chats().map((q) => q.body.messages.at(-1).content));
    expect(asked.size).toBe(report.blocks);
    expect(report.complete).toBe(true);
    const fresh = join(cwd, 'fresh');
    expect((await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', fresh, '--style', 'publius'], { env: env(), cwd })).code).toBe(0);
    for (const f of ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl']) {
      expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(fresh, f), 'utf8'));
    }
    // Nothing the killed run left half-done stays behind.
    expect(readdirSync(join(out)).sort()).toEqual(['.cache', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl', 'report.json', 'train.jsonl', 'valid.jsonl']);
    expect(readdirSync(join(out, '.cache'))).toEqual(['editor.jsonl']);
  });

  it('a provider error on one block is reported, the rest kept, and retried on the next run', async () => {
    const out = join(cwd, 'flaky');
    // 1 attempt + 2 retries: the first block fails for good; the others go through.
    fake.failNext(3, { status: 500 });
    const first = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--json', '--concurrency', '1'], { env: env(), cwd });
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.complete).toBe(false);
    expect(r1.failed).toEqual([{ doc: expect.stringMatching(/federalist\/01\.md$/), block: 0, error: expect.stringMatching(/^llm_unavailable: .*server error 500/) }]);
    expect(first.stderr).toMatch(/failed 1 block\(s\) at the provider; re-run the same command to retry only those:\n {2}\S*federalist\/01\.md block 0: llm_unavailable/);
    // The rest were kept: every other block is written (or rejected with a reason).
    expect(r1.examples.train + r1.examples.valid + r1.rejected.length).toBe(r1.blocks - 1);
    expect(lines(join(out, 'train.jsonl')).length).toBe(r1.examples.train);
    const second = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--json'], { env: env(), cwd });
    expect(second.code, second.stderr).toBe(0);
    const r2 = JSON.parse(second.stdout);
    expect(r2.failed).toEqual([]);
    expect(r2.complete).toBe(true);
    expect(r2.editor.requests).toBe(1);
    expect(r2.editor.reused).toBe(r1.editor.requests);
    expect(r2.examples.train + r2.examples.valid).toBe(r1.examples.train + r1.examples.valid + 1);
    expect(second.stderr).not.toMatch(/failed \d+ block/);
  });

  it('bad input: a missing path is named and nothing is written; empty/binary files are skipped with a warning; bad JSONL names file:line', async () => {
    const out = join(cwd, 'none');
    const missing = await runInProcess(['corpus', 'build', '--in', 'nope/', '--out', out, '--style', 'publius'], { env: env(), cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('restyle: nope/: no such file or directory\n');
    expect(existsSync(out)).toBe(false);

    const dir = join(cwd, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'empty.txt'), '  \n');
    writeFileSync(join(dir, 'bin.txt'), Buffer.from([0x50, 0x00, 0x01]));
    writeFileSync(join(dir, 'rows.jsonl'), '{"text":"fine"}\n{oops\n');
    const r = await runInProcess(['corpus', 'build', '--in', dir, '--out', out, '--style', 'publius'], { env: env(), cwd });
    expect(r.stderr).toContain('warning: mixed/empty.txt: skipped (empty)');
    expect(r.stderr).toContain('warning: mixed/bin.txt: skipped (binary file)');
    expect(r.stderr).toMatch(/restyle: mixed\/rows\.jsonl:2: not valid JSON/);
    expect(r.code).toBe(2);
  });

  it('fewer than 10 examples is an error and writes no training file', async () => {
    const dir = join(cwd, 'small');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.md'), 'One small idea, told in a single paragraph of our house voice.\n');
    const out = join(cwd, 'small-out');
    const r = await runInProcess(['corpus', 'build', '--in', dir, '--out', out, '--style', 'publius'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^restyle: only 1 usable examples \(1 for training\) from 1 block\(s\); fine-tuning needs at least 10 training examples$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'train.jsonl'))).toBe(false);
    // No half-set either: only the cache of the answer already paid for.
    expect(readdirSync(out)).toEqual(['.cache']);
    // When the provider is why, the error says what the provider said (no report is written to look it up in).
    fake.failNext(3, { status: 500 });
    const failed = await runInProcess(['corpus', 'build', '--in', dir, '--out', join(cwd, 'failed-out'), '--style', 'publius'], { env: env(), cwd });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/only 0 usable examples \(0 for training\) from 1 block\(s\) \(1 failed at the provider\); .*; the first provider error: llm_unavailable: .*server error 500/);
  });
});

describe('style parameters and validation', () => {
  it('--params extracts values as structured output and fills the style prompt through the shared builder', async () => {
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  publius:\n    model: ft:publius\n    prompt: "Rewrite in your style, {{tone}} tone:"\ncorpus:\n  editorModel: editor-1\n');
    fake.setResponder((body) => (body.response_format ? JSON.stringify({ tone: 'grave' }) : editor(body)));
    const out = join(cwd, 'params');
    const r = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--params', 'tone'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const ex = lines(join(out, 'train.jsonl'))[0];
    expect(ex.messages[0].content).toBe('Rewrite in your style, grave tone:');
    const asked = chats().find((q) => q.body.response_format);
    expect(asked!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'style_parameters', strict: true } });
    const bad = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--params', 'mood'], { env: env(), cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has no \{\{mood\}\}/);
  });

  it('corpus validate reports problems by line and passes what build wrote', async () => {
    const out = join(cwd, 'v');
    expect((await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius'], { env: env(), cwd })).code).toBe(0);
    const good = await runInProcess(['corpus', 'validate', join(out, 'train.jsonl')], { env: {}, cwd });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/(\d+) usable example\(s\) of \1 line\(s\), 0 problem\(s\)/);
    const file = join(cwd, 'bad.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }),
        '{broken',
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
        JSON.stringify({ messages: [{ role: 'narrator', content: 'x', extra: 1 }, { role: 'assistant' }] }),
      ].join('\n'),
    );
    const bad = await runInProcess(['corpus', 'validate', 'bad.jsonl'], { env: {}, cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^bad\.jsonl:2: not valid JSON/m);
    expect(bad.stdout).toMatch(/^bad\.jsonl:3: no assistant message/m);
    expect(bad.stdout).toMatch(/^bad\.jsonl:4: messages\[0\]: unknown key\(s\) extra/m);
    expect(bad.stdout).toMatch(/^bad\.jsonl:4: messages\[0\]: unknown role "narrator"/m);
    expect(bad.stdout).toMatch(/^bad\.jsonl:4: messages\[1\]: missing content/m);
    // The whole folder as a glob gives it (out/*.jsonl): every file passes; pairs.jsonl is skipped as what it is.
    const files = readdirSync(out).filter((f) => f.endsWith('.jsonl')).map((f) => join(out, f));
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl', 'train.jsonl', 'valid.jsonl']);
    const all = await runInProcess(['corpus', 'validate', ...files], { env: {}, cwd });
    expect(all.code, all.stdout).toBe(0);
    expect(all.stdout).toMatch(/pairs\.jsonl: skipped: restyle's pairs\.jsonl \(\d+ pair\(s\)\), not fine-tuning data/);
    expect(all.stdout).toMatch(/valid\.jsonl: \d+ usable example\(s\).*a validation file/);
    // A whole file of one mistake: three lines of it, then the count.
    const total = 7;
    writeFileSync(join(cwd, 'broken.jsonl'), `${Array.from({ length: total }, () => '{broken').join('\n')}\n`);
    const broken = await runInProcess(['corpus', 'validate', 'broken.jsonl'], { env: {}, cwd });
    expect(broken.code).toBe(1);
    const lines = broken.stdout.trim().split('\n');
    expect(lines.filter((l) => /broken\.jsonl:\d+: not valid JSON/.test(l))).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`broken\\.jsonl: … and ${total - 3} more line\\(s\\) with: not valid JSON`)));
    expect(lines.at(-1)).toMatch(new RegExp(`0 usable example\\(s\\) of ${total} line\\(s\\), ${total} problem\\(s\\)`));
  });
});

describe('--from-store', () => {
  it('uses approved samples of the style: pairs as they are, styled ones through the editor; pending and other styles left out', async () => {
    const { openStore } = await import('../../src/store/index.js');
    const store = await openStore({ redisUrl: undefined, dataDir: join(cwd, 'data'), sqlitePath: join(cwd, 'data', 'restyle.sqlite'), connectTimeoutMs: 1000 });
    const base = { source: 'reaction', platform: 'slack', savedBy: 'slack:U1', createdAt: '2026-01-01T00:00:00Z' };
    // 18 samples over 3 channels: one channel (6) is held out for validation, 12 stay for training (at least 10 are needed).
    for (let i = 0; i < 18; i++) {
      const pair = i % 2 === 0;
      await store.ns('samples').set(`s${String(i).padStart(2, '0')}`, {
        ...base,
        id: `s${i}`,
        kind: pair ? 'pair' : 'styled',
        status: 'approved',
        style: 'publius',
        channel: `slack:C${i % 3}`,
        styled: `Styled sample number ${i}; written in the house voice of the publius style.`,
        ...(pair ? { neutral: `Neutral sample number ${i}, approved by a person.` } : {}),
      });
    }
    await store.ns('samples').set('pending', { ...base, id: 'p', kind: 'styled', status: 'pending', style: 'publius', channel: 'slack:C9', styled: 'Not yet reviewed text here.' });
    await store.ns('samples').set('other', { ...base, id: 'o', kind: 'styled', status: 'approved', style: 'pirate', channel: 'slack:C9', styled: 'Arr, another style.' });
    await store.close();
    const out = join(cwd, 'from-store');
    const r = await runInProcess(['corpus', 'build', '--from-store', '--out', out, '--style', 'publius', '--json'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.blocks).toBe(18);
    expect(report.inputs).toMatchObject({ fromStore: true, documents: 3 });
    expect(report.examples).toEqual({ train: 12, valid: 6 });
    expect(report.editor).toMatchObject({ requests: 9, approvedPairs: 9 });
    // Only the styled samples went to the editor.
    expect(chats().map((q) => q.body.messages.at(-1).content).sort()).toEqual(
      Array.from({ length: 9 }, (_, k) => `Styled sample number ${2 * k + 1}; written in the house voice of the publius style.`).sort(),
    );
    const pairs = lines(join(out, 'pairs.jsonl'));
    expect(pairs).toHaveLength(18);
    expect(pairs.find((p: { ref: string }) => p.ref === 's00')).toMatchObject({ source: 'approved', neutral: 'Neutral sample number 0, approved by a person.' });
    expect(pairs.find((p: { ref: string }) => p.ref === 's01')).toMatchObject({ source: 'editor', neutral: 'Styled sample number 1. written in the house voice of the publius style.' });
    // A channel's samples stay on one side of the split.
    const sides = new Map<string, Set<string>>();
    for (const p of pairs) sides.set(p.doc, (sides.get(p.doc) ?? new Set()).add(p.split));
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    expect(JSON.stringify(pairs)).not.toContain('Not yet reviewed');
    expect(JSON.stringify(pairs)).not.toContain('another style');
    const none = await runInProcess(['corpus', 'build', '--out', out, '--style', 'publius'], { env: env(), cwd });
    expect(none).toMatchObject({ code: 2, stderr: 'restyle: nothing to build from: pass --in PATH… and/or --from-store\n' });
  });
});

describe('--batch', () => {
  it('sends the same work through the Batch API and writes the same files as a live run', async () => {
    const { installFiles, installBatches } = await import('../fakes/openai-files.js');
    const files = installFiles(fake);
    const { batches } = installBatches(fake);
    const live = join(cwd, 'live');
    expect((await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', live, '--style', 'publius'], { env: env(), cwd })).code).toBe(0);
    const liveChats = chats().length;
    const out = join(cwd, 'batched');
    const r = await runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', out, '--style', 'publius', '--batch', '--poll-seconds', '1', '--json'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(chats().length).toBe(liveChats);
    expect(batches.size).toBe(1);
    const [batch] = [...batches.values()];
    expect(batch!.status).toBe('completed');
    const input = files.get(batch!.input_file_id)!.content.toString('utf8').trim().split('\n');
    expect(input).toHaveLength(JSON.parse(r.stdout).blocks);
    expect(JSON.parse(input[0]!)).toMatchObject({ method: 'POST', url: '/v1/chat/completions', body: { model: 'editor-1' } });
    for (const f of ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl']) {
      expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(live, f), 'utf8'));
    }
    expect(JSON.parse(r.stdout).editor).toMatchObject({ mode: 'batch', requests: input.length, reused: 0 });
    expect(r.stderr).toMatch(/batch: submitted batch_fake_\d+ with \d+ request\(s\)/);
  });

  it('a server that answers the Files and Batch routes with something else (a chat-only proxy) stops the run; nothing is polled or kept', async () => {
    const proxy = await startFakeOpenAI();
    const completion = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x', choices: [] };
    let upload: unknown = completion;
    proxy.route('POST', /^\/v1\/files$/, () => upload);
    proxy.route('GET', /^\/v1\/batches/, () => ({ object: 'list', data: [], has_more: false }));
    proxy.route('POST', /^\/v1\/batches$/, () => completion);
    const build = (dir: string) => runInProcess(['corpus', 'build', '--in', FIXTURES, '--out', join(cwd, dir), '--style', 'publius', '--batch', '--poll-seconds', '1'], { env: { ...env(), OPENAI_BASE_URL: proxy.url }, cwd });
    try {
      const r = await build('proxied');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/POST \/files answered a "chat\.completion" object, not a file: does it serve OpenAI's Files API\?/);
      // An upload that looks right, then a "batch" that is not one: refused before its id is kept and polled.
      upload = { id: 'file-1', object: 'file', purpose: 'batch' };
      const b = await build('proxied2');
      expect(b.code).not.toBe(0);
      expect(b.stderr).toMatch(/POST \/batches answered a "chat\.completion" object, not a batch: does it serve OpenAI's Batch API\?/);
      expect(proxy.requests.filter((q) => q.method === 'GET' && /\/batches\/./.test(q.path))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
