import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_STYLE_PROMPT } from '../../src/config/defaults.js';
import { buildExample } from '../../src/restyle/messages.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { depiratise, piratise, writeCorpus } from '../training/corpus.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

let cwd: string;

// Models the fake serves: a perfect styler, one that changes nothing, one that drops protected spans, a de-styler.
const MODELS = ['ft:pirate:good', 'ft:pirate:lazy', 'ft:pirate:mangle', 'ft:pirate:destyle'];

const fake = useFakeOpenAI({ models: MODELS });
beforeEach(() => {
  fake.reset();
  fake.setResponder((body) => {
    const user = [...body.messages].reverse().find((m: { role: string }) => m.role === 'user').content as string;
    if (body.model === 'ft:pirate:good') return piratise(user);
    if (body.model === 'ft:pirate:destyle') return depiratise(user);
    if (body.model === 'ft:pirate:mangle') return `Arr, ${user.replace(/⟦\d+⟧/g, 'the link')}`;
    return user;
  });
  cwd = tmpDir('eval');
  mkdirSync(join(cwd, 'config'));
  config('styles:\n  pirate:\n    model: ft:pirate:good\n    destyler: ft:pirate:destyle\n  lazy:\n    model: ft:pirate:lazy\n');
  writeCorpus(join(cwd, 'corpus'));
});

function config(yaml: string): void {
  writeFileSync(join(cwd, 'config/restyle.yaml'), yaml);
}
const env = () => ({ OPENAI_API_KEY: 'sk-eval', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: join(cwd, 'data') });
const run = (args: string[]) => runInProcess(args, { env: env(), cwd });
const reports = (dir = 'corpus/eval') => (existsSync(join(cwd, dir)) ? readdirSync(join(cwd, dir)).sort() : []);
const metric = (stdout: string, name: string) => stdout.split('\n').find((l) => l.trim().startsWith(name))!.trim().slice(name.length).trim().split(/\s{2,}/);

describe('restyle eval', () => {
  it('scores a perfect styler: chrF/BLEU 100 vs reference, every output in style; writes Markdown, HTML and JSON', async () => {
    const r = await run(['eval', '--style', 'pirate', '--data', 'corpus/valid.jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('A: style pirate (ft:pirate:good)');
    expect(r.stdout).toMatch(/\n {2}metric {2,}A\n {2}chrF vs reference/);
    // Not a line per request: progress at most every 10% when stderr is not a terminal.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('eval: '))).toEqual(['eval: 1/6', 'eval: 2/6', 'eval: 3/6', 'eval: 4/6', 'eval: 5/6', 'eval: 6/6']);
    expect(metric(r.stdout, 'chrF vs reference')).toEqual(['100.00']);
    expect(metric(r.stdout, 'BLEU vs reference')).toEqual(['100.00']);
    expect(metric(r.stdout, 'style accuracy')).toEqual(['100.0%']);
    expect(metric(r.stdout, 'placeholder fallback rate')).toEqual(['0.0%']);
    expect(metric(r.stdout, 'length ratio (output/reference)')).toEqual(['1.00']);
    expect(Number(metric(r.stdout, 'chrF vs input (content kept)')[0])).toBeLessThan(100);
    expect(r.stdout).toMatch(/classifier reads 100% of references and 0% of inputs as in style/);
    expect(r.stdout).toContain('✓ placeholder fallback rate 0.000 (≤ 0.100)');
    // Every neutral input went to the model with the style's prompt, as training did.
    const sent = fake.requestsTo('/chat/completions');
    expect(sent).toHaveLength(6);
    expect(sent[0]!.body.messages[0]).toEqual({ role: 'system', content: DEFAULT_STYLE_PROMPT });

    const files = reports();
    expect(files.map((f) => f.replace(/-\d{4}-.*\./, '-DATE.'))).toEqual(['pirate-DATE.html', 'pirate-DATE.json', 'pirate-DATE.md']);
    const md = readFileSync(join(cwd, 'corpus/eval', files[2]!), 'utf8');
    expect(md).toContain('| chrF vs reference | 100.00 |');
    expect(md).toMatch(/\| 1 \| The (\w+) will be ready at \w+\. There are \d+ items to check first\. \| Arr, the \1 be ready/);
    const html = readFileSync(join(cwd, 'corpus/eval', files[0]!), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    // Two distributions (sentence chrF, P(style)), six examples in each; no A/B chart without B.
    expect(html.match(/<svg /g)).toHaveLength(2);
    const counts = [...html.matchAll(/class="bar s0" data-bin="\d+" data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts.slice(0, 10).reduce((a, b) => a + b, 0)).toBe(6);
    expect(counts[9]).toBe(6);
    expect(html.match(/<tr><td class="num">\d+<\/td>/g)).toHaveLength(6);
    const json = JSON.parse(readFileSync(join(cwd, 'corpus/eval', files[1]!), 'utf8'));
    expect(json.examples).toHaveLength(6);
    expect(json.candidates[0].metrics.chrf).toBeCloseTo(100, 6);
  });

  it('--against runs an A/B with a per-example table; --no-worse gates on it', async () => {
    const r = await run(['eval', '--style', 'pirate', '--data', 'corpus/valid.jsonl', '--against', 'ft:pirate:lazy', '--no-worse', '--limit', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('B: style pirate with model ft:pirate:lazy');
    const [a, b, d] = metric(r.stdout, 'style accuracy');
    expect([a, b, d]).toEqual(['100.0%', '0.0%', '+100.0 pt ▲']);
    const [ca, cb] = metric(r.stdout, 'chrF vs reference').map(Number);
    expect(ca).toBeGreaterThan(cb!);
    // The lazy model copies its input: perfect content kept, which is not the goal.
    expect(metric(r.stdout, 'chrF vs input (content kept)')[1]).toBe('100.00');
    expect(r.stdout).toContain('per example (chrF): A better 4, B better 0, ties 0');
    expect(r.stdout).toMatch(/\n {2}metric {2,}A {2,}B {2,}A − B\n/);
    const html = readFileSync(join(cwd, 'corpus/eval', reports().find((f) => f.endsWith('.html'))!), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<circle class="example"/g)).toHaveLength(4);
    expect(r.stdout).toMatch(/✓ chrF vs baseline/);
    expect(fake.requestsTo('/chat/completions')).toHaveLength(8);
    const md = readFileSync(join(cwd, 'corpus/eval', reports().find((f) => f.endsWith('.md'))!), 'utf8');
    expect(md).toContain('| line | input | A output | B output | reference | A chrF | B chrF | A P(style) | B P(style) |');
    expect(md).toContain('A better 4, B better 0, ties 0');

    // The other way round the gate fails: B (the good model) beats A.
    const worse = await run(['eval', '--style', 'lazy', '--data', 'corpus/valid.jsonl', '--train', 'corpus/train.jsonl', '--against', 'pirate', '--no-worse']);
    expect(worse.code).toBe(1);
    expect(worse.stderr).toMatch(/restyle: eval failed 2 threshold\(s\): chrF vs baseline, style accuracy vs baseline/);
  });

  it('fails (exit 1) when a threshold from a flag or the config fails', async () => {
    const flag = await run(['eval', '--style', 'lazy', '--data', 'corpus/valid.jsonl', '--min-style', '0.8']);
    expect(flag.code).toBe(1);
    expect(flag.stdout).toContain('✗ style accuracy 0.000 (≥ 0.800)');
    expect(flag.stderr).toContain('restyle: eval failed 1 threshold(s): style accuracy');
    expect(reports()).toHaveLength(3);

    config('styles:\n  pirate:\n    model: ft:pirate:good\n  lazy:\n    model: ft:pirate:lazy\neval:\n  thresholds: {minChrf: 80}\n  styles:\n    pirate: {minChrf: 99.5}\n');
    const good = await run(['eval', '--style', 'pirate', '--data', 'corpus/valid.jsonl']);
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toContain('✓ chrF vs reference 100.000 (≥ 99.5)');
    const lazy = await run(['eval', '--style', 'lazy', '--data', 'corpus/valid.jsonl']);
    expect(lazy.code).toBe(1);
    expect(lazy.stdout).toMatch(/✗ chrF vs reference [\d.]+ \(≥ 80\.0\)/);
    // A flag overrides the config.
    expect((await run(['eval', '--style', 'lazy', '--data', 'corpus/valid.jsonl', '--min-chrf', '1'])).code).toBe(0);
  });

  it('counts placeholder fallbacks: a model that breaks URLs keeps the original block, and fails the gate', async () => {
    const style = { name: 'pirate', prompt: DEFAULT_STYLE_PROMPT };
    const rows = Array.from({ length: 4 }, (_, i) => buildExample(style, `See https://example.com/doc/${i} for step ${i}.`, `Arr, see https://example.com/doc/${i} for step ${i}, matey!`));
    writeFileSync(join(cwd, 'corpus/links.valid.jsonl'), `${rows.map((x) => JSON.stringify(x)).join('\n')}\n`);
    config('styles:\n  mangle:\n    model: ft:pirate:mangle\n');
    const r = await run(['eval', '--style', 'mangle', '--data', 'corpus/links.valid.jsonl', '--train', 'corpus/train.jsonl']);
    expect(r.code).toBe(1);
    expect(metric(r.stdout, 'placeholder fallback rate')).toEqual(['100.0%']);
    expect(r.stdout).toContain('✗ placeholder fallback rate 1.000 (≤ 0.100)');
    const md = readFileSync(join(cwd, 'corpus/eval', reports().find((f) => f.endsWith('.md'))!), 'utf8');
    expect(md).toContain('See https://example.com/doc/0 for step 0. (1 fallback)');
  });

  it('--destyler evaluates the de-styler on destyle.valid.jsonl', async () => {
    const r = await run(['eval', '--style', 'pirate', '--destyler', '--data', 'corpus/destyle.valid.jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('A: pirate destyler ft:pirate:destyle');
    expect(metric(r.stdout, 'chrF vs reference')).toEqual(['100.00']);
    // The classifier is trained on destyle.train.jsonl: its target side is the neutral text.
    expect(metric(r.stdout, 'style accuracy')).toEqual(['100.0%']);
    expect(fake.requestsTo('/chat/completions')[0]!.body.messages[0].content).toBe('Please, rewrite the provided text in a neutral style:');
    expect(reports().some((f) => f.startsWith('pirate-destyler-'))).toBe(true);
  });

  it('uses the registry model when one is in use', async () => {
    expect((await run(['models', 'add', 'pirate', '--model', 'ft:pirate:lazy'])).code).toBe(0);
    // --data names the corpus folder, as for train; eval reads its valid.jsonl.
    const r = await run(['eval', '--style', 'pirate', '--data', 'corpus', '--limit', '2']);
    expect(r.stdout).toContain('A: style pirate (ft:pirate:lazy)');
    expect(fake.requestsTo('/chat/completions').map((q) => q.body.model)).toEqual(['ft:pirate:lazy', 'ft:pirate:lazy']);
  });

  it('bad input: one line naming the file, the missing classifier data, the unknown model', async () => {
    const missing = await run(['eval', '--style', 'pirate', '--data', 'nope/valid.jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('restyle: nope/valid.jsonl: no such file or folder (expected a corpus folder from restyle corpus build, or its valid.jsonl)');
    mkdirSync(join(cwd, 'hollow'));
    const hollow = await run(['eval', '--style', 'pirate', '--data', 'hollow']);
    expect(hollow.stderr.trim()).toBe('restyle: hollow has no valid.jsonl (expected the output of restyle corpus build --out hollow)');
    mkdirSync(join(cwd, 'lonely'));
    writeFileSync(join(cwd, 'lonely/valid.jsonl'), readFileSync(join(cwd, 'corpus/valid.jsonl')));
    const noTrain = await run(['eval', '--style', 'pirate', '--data', 'lonely/valid.jsonl']);
    expect(noTrain.code).toBe(2);
    expect(noTrain.stderr.trim()).toBe('restyle: lonely/train.jsonl: no such file; the style classifier trains on it (pass --train FILE)');
    const model = await run(['eval', '--style', 'pirate', '--data', 'corpus/valid.jsonl', '--against', 'ft:ghost']);
    expect(model.code).toBe(1);
    expect(model.stderr.trim()).toMatch(/^restyle: model "ft:ghost" is not served at http:\/\/127\.0\.0\.1:\d+\/v1$/);
    writeFileSync(join(cwd, 'corpus/broken.jsonl'), '{"messages": []}\n');
    const broken = await run(['eval', '--style', 'pirate', '--data', 'corpus/broken.jsonl', '--train', 'corpus/train.jsonl']);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim()).toBe('restyle: corpus/broken.jsonl:1: needs a user and an assistant message');
    const threshold = await run(['eval', '--style', 'pirate', '--data', 'corpus/valid.jsonl', '--min-style', '2']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr.trim()).toBe('restyle: --min-style 2: expected a number from 0 to 1');
  });
});
