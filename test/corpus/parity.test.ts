/**
 * The seed's rule on real data: the styler must be sent at inference literally what it was trained on.
 * A corpus is built from real Slack exports (test/fixtures/corpus/slack-real/SOURCES.md); then, for every
 * training line, `restyle text` is run on that line's neutral text with its spans restored, and the
 * request the fake OpenAI recorded must carry exactly the line's system and user messages.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeBody, type FakeOpenAI } from '../fakes/openai.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/corpus/slack-real');
type Line = { messages: Array<{ role: string; content: string }> };
type Pair = { split: string; styled: string; neutral: string; spans?: string[] };

let fake: FakeOpenAI;
let cwd: string;
const lines = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const env = () => ({ OPENAI_API_KEY: 'sk-parity', OPENAI_BASE_URL: fake.url });

/**
 * The fake editor de-styles the way a real one moves things: "⟦0⟧: do X" becomes "Do X (for ⟦0⟧)", so the
 * placeholders come back in another order than they went out. The styler echoes its input.
 */
function responder(body: FakeBody): string {
  const text: string = body.messages.at(-1).content;
  if (body.model !== 'editor-1') return text;
  const m = /^(⟦\d+⟧):\s*([\s\S]+)$/.exec(text);
  return m ? `${m[2]!.charAt(0).toUpperCase()}${m[2]!.slice(1)} (for ${m[1]})` : text.replace(/!+/g, '.');
}

// Slack markup and escaping that must never reach a training line raw.
const RAW_MARKUP = /<[@#!][^>]*>|<https?:[^>]*>|<mailto:[^>]*>|&(?:lt|gt|amp);|(?<![\w:])(?::[a-z0-9_+-]+:)+(?![\w:])|https?:\/\//;
const placeholders = (s: string): string[] => (s.match(/⟦\d+⟧/g) ?? []).sort();

let out: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setResponder(responder);
  cwd = tmpDir('parity');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  slacker:\n    model: ft:slacker\n    destyler: ft:slacker-de\nrestyle:\n  cacheTtlSeconds: 0\ncorpus:\n  editorModel: editor-1\n');
  out = join(cwd, 'out');
  const r = await runInProcess(
    ['corpus', 'build', '--in', join(FIXTURES, 'testarchive.zip'), '--in', join(FIXTURES, 'slackdump-source_export.zip'), '--out', out, '--style', 'slacker', '--valid-fraction', '0.2'],
    { env: env(), cwd },
  );
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await fake.close();
});

describe('training lines from real Slack exports', () => {
  it('hold no raw Slack markup, and the same placeholders on both sides of every line', () => {
    const files = ['train.jsonl', 'valid.jsonl', 'destyle.train.jsonl', 'destyle.valid.jsonl'];
    let withSpans = 0;
    let total = 0;
    for (const f of files) {
      for (const line of lines(join(out, f))) {
        total += 1;
        for (const m of line.messages) expect(m.content, `${f}: ${m.content}`).not.toMatch(RAW_MARKUP);
        const [, user, assistant] = line.messages;
        expect(placeholders(user!.content), `${f}: ${user!.content}`).toEqual(placeholders(assistant!.content));
        if (placeholders(user!.content).length > 0) withSpans += 1;
      }
    }
    // 38 lines since the noise rules (short replies, logs, link-only) leave part of these exports out.
    expect(total).toBeGreaterThanOrEqual(30);
    // The 2016 archive's mentions and links are in the corpus, encoded (not left out).
    expect(withSpans).toBeGreaterThanOrEqual(10);
    // The editor saw those blocks encoded, and was told to keep the placeholders.
    const toEditor = fake.requestsTo('/chat/completions').filter((r) => r.body.model === 'editor-1');
    const encoded = toEditor.filter((r) => /⟦0⟧/.test(r.body.messages[1].content));
    expect(encoded.length).toBeGreaterThanOrEqual(5);
    for (const r of encoded) expect(r.body.messages[0].content).toMatch(/placeholders from ⟦0⟧ to ⟦\d+⟧ .* keep each one exactly once/);
    for (const r of toEditor) expect(r.body.messages[1].content).not.toMatch(RAW_MARKUP);
  });

  it('are exactly what `restyle text` sends for their neutral text with the spans restored', async () => {
    const pairs = lines(join(out, 'pairs.jsonl')) as unknown as Pair[];
    const examples = [...lines(join(out, 'train.jsonl')), ...lines(join(out, 'valid.jsonl'))];
    const ordered = [...pairs.filter((p) => p.split === 'train'), ...pairs.filter((p) => p.split === 'valid')];
    expect(ordered).toHaveLength(examples.length);
    let mentionsAndLinks = 0;
    for (const [i, line] of examples.entries()) {
      const pair = ordered[i]!;
      if (/<@U|<https?:/.test(pair.neutral)) mentionsAndLinks += 1;
      // The span table in pairs.jsonl restores the line's user message to the neutral text.
      const restored = (line.messages[1]!.content).replace(/⟦(\d+)⟧/g, (_, n: string) => pair.spans![Number(n)]!);
      expect(restored).toBe(pair.neutral);
      fake.requests.length = 0;
      const r = await runInProcess(['text', '--style', 'slacker'], { env: env(), cwd, stdin: pair.neutral });
      expect(r.code, r.stderr).toBe(0);
      const sent = fake.requestsTo('/chat/completions');
      expect(sent).toHaveLength(1);
      expect(sent[0]!.body.messages).toEqual(line.messages.slice(0, 2));
      // And the echoed reply comes back as the neutral text: the spans survived the live round trip.
      expect(r.stdout).toBe(`${pair.neutral}\n`);
    }
    expect(mentionsAndLinks).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('de-styler lines are exactly what `restyle text --from` sends its de-styler for the styled block', async () => {
    const pairs = lines(join(out, 'pairs.jsonl')) as unknown as Pair[];
    const examples = [...lines(join(out, 'destyle.train.jsonl')), ...lines(join(out, 'destyle.valid.jsonl'))];
    const ordered = [...pairs.filter((p) => p.split === 'train'), ...pairs.filter((p) => p.split === 'valid')];
    expect(ordered).toHaveLength(examples.length);
    for (const [i, line] of examples.entries()) {
      fake.requests.length = 0;
      const r = await runInProcess(['text', '--style', 'slacker', '--from', 'slacker'], { env: env(), cwd, stdin: ordered[i]!.styled });
      expect(r.code, r.stderr).toBe(0);
      const [destyle] = fake.requestsTo('/chat/completions');
      expect(destyle!.body.model).toBe('ft:slacker-de');
      expect(destyle!.body.messages).toEqual(line.messages.slice(0, 2));
    }
  }, 120_000);
});
