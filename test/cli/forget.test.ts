import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

let cwd: string;

const fake = useFakeOpenAI();
beforeEach(() => {
  fake.reset();
  // The fake editor "strips the style": semicolons become full stops, every word survives.
  fake.setResponder((body: { messages: Array<{ content: string }> }) => body.messages.at(-1)!.content.replace(/;/g, '.'));
  cwd = tmpDir('forget');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: ft:pirate\ncorpus:\n  editorModel: editor-1\n');
});

const env = () => ({ OPENAI_API_KEY: 'sk-forget', OPENAI_BASE_URL: fake.url });
const read = (file: string): string => readFileSync(file, 'utf8');
const rows = (file: string) =>
  read(file)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A Slack export of two channels over three days: Ana and Bo each write distinct, countable lines. */
function slackExport(secondsOf: (n: number) => number = (n) => 1_709_300_000 + n): string {
  const dir = join(cwd, 'export');
  mkdirSync(dir);
  writeFileSync(join(dir, 'users.json'), JSON.stringify([{ id: 'U01ANA', name: 'ana' }, { id: 'U02BO', name: 'bo' }]));
  writeFileSync(join(dir, 'channels.json'), JSON.stringify([{ name: 'general' }, { name: 'releases' }]));
  let n = 0;
  for (const channel of ['general', 'releases']) {
    mkdirSync(join(dir, channel));
    for (const day of ['2024-03-01', '2024-03-02', '2024-03-03']) {
      const messages = [];
      for (let i = 0; i < 4; i++) {
        n += 1;
        messages.push({ type: 'message', user: 'U01ANA', ts: `${secondsOf(n)}.000100`, text: `Ahoy number ${n}; the ana line sails at dawn with cargo ${n}.` });
        messages.push({ type: 'message', user: 'U02BO', ts: `${secondsOf(n)}.000200`, text: `Bo writes note ${n}; the bo line is plain and short ${n}.` });
      }
      writeFileSync(join(dir, channel, `${day}.json`), JSON.stringify(messages));
    }
  }
  return dir;
}

async function sqlite(): Promise<Store> {
  const dataDir = join(cwd, 'data');
  return openStore({ redisUrl: undefined, dataDir, sqlitePath: join(dataDir, 'restyle.sqlite'), connectTimeoutMs: 1000 });
}

const sample = (id: string, who: string) => ({
  id,
  kind: 'styled',
  status: 'approved',
  style: 'pirate',
  source: 'reaction',
  platform: 'slack',
  channel: 'slack:C1',
  savedBy: who,
  author: who,
  styled: `Sample ${id} in the house voice.`,
  createdAt: '2026-01-01T00:00:00Z',
});

describe('restyle corpus forget', () => {
  it('removes a person from the store and from a corpus built out of a Slack export, and only them', async () => {
    const out = join(cwd, 'corpus');
    const built = await runInProcess(['corpus', 'build', '--in', slackExport(), '--out', out, '--style', 'pirate', '--valid-fraction', '0.3'], { env: env(), cwd });
    expect(built.code, built.stderr).toBe(0);
    const before = rows(join(out, 'pairs.jsonl'));
    expect(before).toHaveLength(48);
    expect(new Set(before.map((p) => p.author))).toEqual(new Set(['slack:U01ANA', 'slack:U02BO']));
    expect(read(join(out, '.cache/editor.jsonl'))).toContain('bo line');
    const store = await sqlite();
    await store.ns('samples').set('a1', sample('a1', 'slack:U01ANA'));
    await store.ns('samples').set('b1', sample('b1', 'slack:U02BO'));
    await store.ns('samples').set('b2', sample('b2', 'slack:U02BO'));
    await store.close();
    // What restyle makes from the corpus, inside it: train's exports and eval's reports, with copies of the text.
    const exported = await runInProcess(['train', '--provider', 'export', '--style', 'pirate', '--data', 'corpus'], { env: env(), cwd });
    expect(exported.code, exported.stderr).toBe(0);
    const evaluated = await runInProcess(['eval', '--style', 'pirate', '--data', 'corpus', '--max-fallback', '1'], { env: env(), cwd });
    expect(evaluated.stderr).not.toMatch(/unexpected error/);
    const derivedText = (name: string): string => readdirSync(join(out, name), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => read(join(e.parentPath, e.name))).join('\n');
    expect(derivedText('export')).toMatch(/bo line|Bo writes/i);
    expect(derivedText('eval')).toMatch(/bo line|Bo writes/i);

    const r = await runInProcess(['corpus', 'forget', '--user', 'slack:U02BO', '--corpus', 'corpus', '--json'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const counts = JSON.parse(r.stdout);
    expect(counts.store).toEqual({ samples: 2, feedback: 0 });
    expect(counts.corpora).toEqual([expect.objectContaining({ dir: 'corpus', examples: 24, derived: ['export', 'eval'] })]);
    expect(existsSync(join(out, 'export')) || existsSync(join(out, 'eval'))).toBe(false);
    expect(counts.corpora[0].cached).toBeGreaterThanOrEqual(24);
    expect(r.stderr).toContain('retrain');

    // Bo's words are gone from every file; Ana's 24 examples are all still there, still aligned.
    for (const f of ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl', 'pairs.jsonl', '.cache/editor.jsonl']) {
      expect(read(join(out, f)), f).not.toMatch(/bo line|Bo writes/);
    }
    const pairs = rows(join(out, 'pairs.jsonl'));
    expect(pairs).toHaveLength(24);
    expect(pairs.every((p) => p.author === 'slack:U01ANA')).toBe(true);
    const train = rows(join(out, 'train.jsonl'));
    const trainPairs = pairs.filter((p) => p.split === 'train');
    expect(train).toHaveLength(trainPairs.length);
    train.forEach((ex, i) => expect((ex.messages as Array<{ content: string }>)[2]!.content).toBe(trainPairs[i]!.styled));
    expect(rows(join(out, 'destyle.train.jsonl'))).toHaveLength(trainPairs.length);
    expect(rows(join(out, 'valid.jsonl'))).toHaveLength(pairs.length - trainPairs.length);
    expect(JSON.parse(read(join(out, 'report.json'))).forgotten).toEqual([expect.objectContaining({ examples: 24 })]);

    const after = await sqlite();
    expect(await after.ns('samples').get('b1')).toBeUndefined();
    expect(await after.ns('samples').get('b2')).toBeUndefined();
    expect(await after.ns('samples').get('a1')).toMatchObject({ savedBy: 'slack:U01ANA' });
    await after.close();

    // Idempotent: a second run finds nothing and changes nothing.
    const again = await runInProcess(['corpus', 'forget', '--user', 'U02BO', '--corpus', 'corpus'], { env: env(), cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('corpus: removed 0 examples');
    expect(rows(join(out, 'pairs.jsonl'))).toHaveLength(24);
  });

  it('--retention removes what was written before privacy.retentionDays from the store and from built corpora', async () => {
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: ft:pirate\ncorpus:\n  editorModel: editor-1\nprivacy:\n  retentionDays: 30\n');
    const now = Date.now() / 1000;
    // Messages 1–12 were written 400 days ago, 13–24 yesterday.
    const out = join(cwd, 'corpus');
    const exported = slackExport((n) => Math.floor(now - (n <= 12 ? 400 : 1) * 86_400) + n);
    const built = await runInProcess(['corpus', 'build', '--in', exported, '--out', out, '--style', 'pirate', '--valid-fraction', '0.3'], { env: env(), cwd });
    expect(built.code, built.stderr).toBe(0);
    expect(rows(join(out, 'pairs.jsonl'))).toHaveLength(48);
    const store = await sqlite();
    await store.ns('samples').set('old', { ...sample('old', 'slack:U01ANA'), createdAt: new Date(Date.now() - 31 * 86_400_000).toISOString() });
    await store.ns('samples').set('new', { ...sample('new', 'slack:U01ANA'), createdAt: new Date().toISOString() });
    await store.close();

    const r = await runInProcess(['corpus', 'forget', '--retention', '--corpus', 'corpus'], { env: env(), cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('retention (30 days): deleted 1 sample');
    expect(r.stdout).toContain('corpus: removed 24 examples past the retention window');
    const pairs = rows(join(out, 'pairs.jsonl'));
    expect(pairs).toHaveLength(24);
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
    expect(pairs.every((p) => typeof p.at === 'string' && p.at > cutoff)).toBe(true);
    expect(read(join(out, 'train.jsonl'))).not.toContain('cargo 1.');
    expect(rows(join(out, 'train.jsonl'))).toHaveLength(pairs.filter((p) => p.split === 'train').length);
    const after = await sqlite();
    expect(await after.ns('samples').get('old')).toBeUndefined();
    expect(await after.ns('samples').get('new')).toMatchObject({ id: 'new' });
    await after.close();
  });

  it('checks every --corpus folder before deleting anything', async () => {
    const store = await sqlite();
    await store.ns('samples').set('a1', sample('a1', 'slack:U01ANA'));
    await store.close();
    const r = await runInProcess(['corpus', 'forget', '--user', 'slack:U01ANA', '--corpus', 'no-such-build'], { env: env(), cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no-such-build: no pairs.jsonl');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const after = await sqlite();
    expect(await after.ns('samples').get('a1')).toMatchObject({ author: 'slack:U01ANA' });
    await after.close();
    // A first `corpus build --batch` whose batch is still out has no pairs.jsonl yet: said as such.
    mkdirSync(join(cwd, 'batching/.cache/batch'), { recursive: true });
    writeFileSync(join(cwd, 'batching/.cache/batch/state.json'), JSON.stringify({ batches: [{ file: 'input-a-0.jsonl', inputHash: 'x', count: 1, batchId: 'batch_1' }] }));
    const out = await runInProcess(['corpus', 'forget', '--user', 'slack:U01ANA', '--corpus', 'batching'], { env: env(), cwd });
    expect(out.stderr).toContain('batching: no pairs.jsonl: its build has not finished (a --batch is still out); run that corpus build again to collect it, then forget; nothing was changed');
  });

  it('refuses a corpus built from plain files, which records no authors, and leaves it as it was', async () => {
    const texts = join(cwd, 'texts');
    mkdirSync(texts);
    for (let i = 0; i < 14; i++) writeFileSync(join(texts, `t${i}.txt`), `Plain file number ${i}; written in the pirate voice with cargo ${i}.\n`);
    const out = join(cwd, 'plain');
    const built = await runInProcess(['corpus', 'build', '--in', texts, '--out', out, '--style', 'pirate', '--valid-fraction', '0'], { env: env(), cwd });
    expect(built.code, built.stderr).toBe(0);
    const pairsBefore = read(join(out, 'pairs.jsonl'));
    const r = await runInProcess(['corpus', 'forget', '--user', 'slack:U01ANA', '--corpus', 'plain'], { env: env(), cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no authors recorded');
    expect(read(join(out, 'pairs.jsonl'))).toBe(pairsBefore);
  });

  it('asks for --user or --retention', async () => {
    const r = await runInProcess(['corpus', 'forget'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --user ID');
  });
});
