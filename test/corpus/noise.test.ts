import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeShare, NOISE_DEFAULTS, NoiseFilter, noiseOf } from '../../src/corpus/noise.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

const REAL = resolve(import.meta.dirname, '../fixtures/realworld');
const EXPORTS = ['slack-export-viewer/testarchive.zip', 'slackdump/source_export_dir', 'dce-frontend'].map((p) => join(REAL, p));

describe('noise rules', () => {
  // Lines from the real exports in test/fixtures/realworld (the ones issue 14 names, and their kin).
  it.each([
    ['Yes', 'short'],
    ['Done', 'short'],
    ['33MB zip file', 'short'],
    ['cities=cities_120, start_city="Houston",\n        updates_enabled=False', 'code'],
    ['dtUeWsjQpQO8 TFoFBeQ', 'code'],
    ['Free nitro giveaway! https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'linkOnly'],
    ["Here's an example: <https://github.com/hfaran/progressive/blob/master/setup.py>", 'linkOnly'],
    ['read more about DiscordChatExporter in the wiki https://github.com/Tyrrrz/DiscordChatExporter/wiki', null],
    ["so can it itself just be the executor? I don't think it will need any outside dependencies", null],
    ['4. And run `START_VIEWER` again', null],
    ['Use unittest or py.test; up to you', null],
  ])('%j → %s', (text, reason) => {
    expect(noiseOf(text, NOISE_DEFAULTS)).toBe(reason);
  });

  it('every rule can be turned off', () => {
    const off = { minWords: 0, maxCodeShare: 1, linkWords: 0, maxRepeats: 0 };
    for (const t of ['Yes', 'cities=cities_120, start_city="Houston"', 'Free nitro giveaway! https://x.example/y']) expect(noiseOf(t, off)).toBeNull();
    expect(codeShare('cities=cities_120, start_city="Houston"')).toBe(1);
  });

  // Values printed by the rules before prose tokens skipped the six code tests (dist of a4236ce).
  it('prose tokens in quotes, brackets or before punctuation are words; ids, snake/camel case, times and paths still code', () => {
    expect(codeShare('Hello, (see the 12: "Quote") ok.')).toBe(0);
    expect(codeShare("It's ÜBERall straße 1,000 US")).toBe(0);
    expect(codeShare('fooBar x_y I0327 12:30:45 a.py ./src/x Über')).toBe(6 / 7);
  });

  it('the second pass decides as the rules do, in the first pass\'s order or not', () => {
    const blocks = ['Yes', 'hello there my good friend, how are you', 'const x = 1; y = 2; z();', 'hello there my good friend, how are you', 'Free nitro giveaway! https://x.example/y', 'A plain sentence with enough words in it'];
    const expected = ['short', 'repeated', null, 'repeated', 'linkOnly', null];
    const rules = { ...NOISE_DEFAULTS, maxRepeats: 1 };
    const inOrder = new NoiseFilter(rules);
    for (const b of blocks) inOrder.see(b);
    expect(blocks.map((b) => inOrder.reasonFor(b))).toEqual(expected);
    expect(inOrder.counts).toEqual({ short: 1, linkOnly: 1, code: 0, repeated: 2 });
    const reversed = new NoiseFilter(rules);
    for (const b of blocks) reversed.see(b);
    expect([...blocks].reverse().map((b) => reversed.reasonFor(b))).toEqual([...expected].reverse());
  });
});

describe('corpus build on real exports leaves noise out and counts it', () => {
  let fake: FakeOpenAI;
  let cwd: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setResponder((body: { messages: Array<{ content: string }> }) => body.messages.at(-1)!.content);
    cwd = tmpDir('noise');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  chat:\n    model: ft:chat\n');
  });
  const env = () => ({ OPENAI_API_KEY: 'sk-noise', OPENAI_BASE_URL: fake.url });
  const build = (out: string, ...flags: string[]) => runInProcess(['corpus', 'build', '--in', ...EXPORTS, '--out', out, '--style', 'chat', '--json', ...flags], { env: env(), cwd });

  it('Slack 2016, slackdump and DiscordChatExporter exports: every reason counted in report.json and the summary; none of it trained on', async () => {
    const r = await build('out');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.noise).toMatchObject({ ...NOISE_DEFAULTS });
    for (const reason of ['short', 'code', 'linkOnly']) expect(report.noise[reason], reason).toBeGreaterThan(0);
    expect(r.stderr).toContain(`left out as noise: ${report.noise.short} short (< 4 words), ${report.noise.code} code or log lines (> 50% code-like), ${report.noise.linkOnly} link-only`);
    const styled = readFileSync(join(cwd, 'out/pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).styled as string);
    for (const noise of ['Yes', 'Done', '33MB zip file', 'thanks!']) expect(styled).not.toContain(noise);
    expect(styled.some((s) => s.includes('cities=') || s.includes('Free nitro') || s.includes('dtUeWsjQpQO8'))).toBe(false);
    expect(styled).toContain("so can it itself just be the executor? I don't think it will need any outside dependencies");
  });

  it('pairs carry each author\'s display name beside the id (Slack users.json, Discord nickname)', async () => {
    expect((await build('names')).code).toBe(0);
    const pairs = readFileSync(join(cwd, 'names/pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { author?: string; authorName?: string });
    const names = new Map(pairs.map((p) => [p.author, p.authorName]));
    // testarchive.zip users.json: U0BMYT2FL is "abilinski" (display name), real name "Harry Potter".
    expect(names.get('slack:U0BMYT2FL')).toBe('abilinski');
    expect([...names.keys()].filter((a) => a?.startsWith('slack:')).every((a) => typeof names.get(a) === 'string')).toBe(true);
    expect(pairs.filter((p) => p.author?.startsWith('discord:')).every((p) => typeof p.authorName === 'string' && p.authorName.length > 0)).toBe(true);
  });

  it('repeats: the same channel exported twice repeats its messages; --max-repeats 1 leaves every copy out, the default keeps one', async () => {
    const dflt = JSON.parse((await build('a')).stdout);
    expect(dflt.noise.repeated).toBe(0);
    const strict = await build('b', '--max-repeats', '1');
    expect(strict.code, strict.stderr).toBe(0);
    const report = JSON.parse(strict.stdout);
    expect(report.noise.repeated).toBeGreaterThan(0);
    const styled = readFileSync(join(cwd, 'b/pairs.jsonl'), 'utf8');
    expect(styled).not.toContain("It's a little cold in here");
    expect(readFileSync(join(cwd, 'a/pairs.jsonl'), 'utf8')).toContain("It's a little cold in here");
    expect(strict.stderr).toContain(`${report.noise.repeated} repeated (posted > 1 times)`);
  });

  it('an export that is all noise (slackdump\'s random test strings) fails naming what was left out', async () => {
    const r = await runInProcess(['corpus', 'build', '--in', join(REAL, 'slackdump/source_export.zip'), '--out', 'none', '--style', 'chat'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no text blocks found in .*source_export\.zip \(left out: 12 code; the rules are --min-words, --max-code-share, --link-words, --max-repeats\)/);
  });

  it('--author that matches no one in the export says so, not "no text blocks"', async () => {
    const r = await runInProcess(['corpus', 'build', '--in', join(REAL, 'slackdump/source_export.zip'), '--out', 'none', '--style', 'chat', '--author', 'U0NOBODY'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no message by --author "U0NOBODY" in .*source_export\.zip: give a user id/);
  });

  it('tuned off, the same blocks are kept (the rules decide, not the reader)', async () => {
    const r = await build('off', '--min-words', '0', '--max-code-share', '1', '--link-words', '0', '--max-repeats', '0');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect([report.noise.short, report.noise.code, report.noise.linkOnly, report.noise.repeated]).toEqual([0, 0, 0, 0]);
    expect(readFileSync(join(cwd, 'off/pairs.jsonl'), 'utf8')).toContain('cities=cities_120');
  });
});
