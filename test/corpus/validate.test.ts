import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateJsonl } from '../../src/corpus/validate.js';
import { exampleTokenLimit } from '../../src/corpus/stats.js';
import { MAX_LINE_CHARS } from '../../src/util/read-lines.js';
import { tmpDir } from '../support/tmp.js';

const CASES = resolve(import.meta.dirname, '../fixtures/openai-cookbook/cases');

/**
 * Each case file holds nine good lines from the cookbook's toy file and one case line (or is a whole-file
 * variant). The verdicts are the decisions table in docs/training.md ("What corpus validate accepts"):
 * null = the file is accepted; otherwise the line and the problem it is reported with.
 */
const VERDICTS: Record<string, { line: number; problem: RegExp } | null> = {
  blank_line_middle: { line: 6, problem: /^blank line/ },
  content_empty_string: { line: 10, problem: /^messages\[1\]: empty content$/ },
  content_null_with_function_call: null,
  content_number: { line: 10, problem: /^messages\[0\]: content must be a string or a list of content parts$/ },
  content_parts_array: null,
  content_whitespace: null,
  crlf_line_endings: null,
  data_type_array: { line: 10, problem: /^not a JSON object$/ },
  empty_messages: { line: 10, problem: /^missing "messages" list$/ },
  legacy_prompt_completion: { line: 10, problem: /^prompt\/completion is the legacy completions format/ },
  message_missing_content_key: { line: 10, problem: /^messages\[1\]: missing content$/ },
  name_key: null,
  no_assistant: { line: 10, problem: /^no assistant message$/ },
  role_developer: { line: 10, problem: /^messages\[0\]: role "developer" is not accepted/ },
  role_tool: { line: 10, problem: /^messages\[1\]: tool message answers tool_call_id "c1", which no earlier assistant tool_calls made$/ },
  tool_calls_modern: null,
  top_level_extra_key: { line: 10, problem: /^unknown key\(s\) id$/ },
  trailing_garbage: { line: 11, problem: /^not valid JSON/ },
  unicode_line_separator: null,
  unrecognized_msg_key_timestamp: { line: 10, problem: /^messages\[0\]: unknown key\(s\) timestamp$/ },
  utf8_bom: { line: 1, problem: /byte-order mark/ },
  weight_2: { line: 10, problem: /^messages\[1\]: "weight" must be 0 or 1, on assistant messages only$/ },
  weight_on_user: { line: 10, problem: /^messages\[0\]: "weight" must be 0 or 1, on assistant messages only$/ },
};

describe('corpus validate against OpenAI chat fine-tuning rules', () => {
  it('covers all 23 cases built from the cookbook', () => {
    expect(Object.keys(VERDICTS)).toHaveLength(23);
  });

  it.each(Object.entries(VERDICTS))('%s', async (name, verdict) => {
    const r = await validateJsonl(join(CASES, `${name}.jsonl`), name);
    if (verdict === null) {
      expect(r.issues).toEqual([]);
      expect(r.examples).toBe(10);
    } else {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]!.line).toBe(verdict.line);
      expect(r.issues[0]!.problem).toMatch(verdict.problem);
      // Counts leave out the line that is not a usable example.
      expect(r.examples).toBe(r.lines - 1);
    }
  });

  it('counts examples, tokens and epochs over usable lines only; counts the cookbook\'s missing system/user warnings', async () => {
    const dir = tmpDir('validate');
    const ok = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello there' }] };
    const withSystem = { messages: [{ role: 'system', content: 's' }, ...ok.messages] };
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, [...Array.from({ length: 12 }, () => JSON.stringify(ok)), JSON.stringify(withSystem), '{broken', '', JSON.stringify({ messages: [{ role: 'assistant', content: 'alone' }] })].join('\n'));
    const r = await validateJsonl(file, 'mixed.jsonl');
    expect(r.lines).toBe(16);
    expect(r.examples).toBe(14);
    expect(r.issues.map((i) => i.line)).toEqual([14, 15]);
    expect(r.missing).toEqual({ system: 13, user: 1 });
    expect(r.warnings).toEqual(['13 example(s) without a system message', '1 example(s) without a user message']);
    expect(r.billing.defaultEpochs).toBe(7); // 14 examples: OpenAI raises epochs so ~100 are seen (floor(100/14))
    expect(r.tokens.total).toBe(r.billing.tokensPerEpoch);
  });

  it("restyle's own pairs.jsonl (picked up by a glob of the build's folder) is skipped as what it is; a pair among examples is a problem of its line", async () => {
    const dir = tmpDir('validate-pairs');
    const file = join(dir, 'pairs.jsonl');
    // The keys `corpus build` writes in pairs.jsonl (src/corpus/build.ts), values shortened.
    const pair = { doc: 'export.zip/general/2016-01-14.json', ref: '1452837352.000006', block: 0, split: 'train', source: 'editor', styled: 'Ahoy, the deploy be done.', neutral: 'The deploy is done.', sha256: 'a', neutralSha256: 'b' };
    writeFileSync(file, `${JSON.stringify(pair)}\n${JSON.stringify({ ...pair, block: 1 })}\n`);
    const r = await validateJsonl(file, 'pairs.jsonl');
    expect(r.examples).toBe(0);
    expect(r.issues).toEqual([]);
    expect(r.skipped).toMatch(/^restyle's pairs\.jsonl \(2 pair\(s\)\), not fine-tuning data: not checked; upload train\.jsonl and valid\.jsonl/);
    expect(r.warnings).toEqual([]);
    const mixed = join(dir, 'mixed.jsonl');
    const example = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    writeFileSync(mixed, `${example}\n${JSON.stringify(pair)}\n`);
    const m = await validateJsonl(mixed, 'mixed.jsonl');
    expect(m.skipped).toBeUndefined();
    expect(m.issues).toEqual([{ line: 2, problem: expect.stringMatching(/^a restyle pair .*upload train\.jsonl and valid\.jsonl/) }]);
  });

  it('a validation file is not held to a training file\'s 10-example minimum', async () => {
    const dir = tmpDir('validate-valid');
    const example = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    for (const name of ['valid.jsonl', 'destyle.valid.jsonl', 'train.jsonl']) writeFileSync(join(dir, name), `${example}\n`);
    const minimum = /a training file needs at least 10/;
    expect((await validateJsonl(join(dir, 'valid.jsonl'), 'out/valid.jsonl')).warnings.filter((w) => minimum.test(w))).toEqual([]);
    const destyle = await validateJsonl(join(dir, 'destyle.valid.jsonl'), 'out/destyle.valid.jsonl');
    expect(destyle.validation).toBe(true);
    expect(destyle.warnings.filter((w) => minimum.test(w))).toEqual([]);
    expect((await validateJsonl(join(dir, 'train.jsonl'), 'out/train.jsonl')).warnings.filter((w) => minimum.test(w))).toHaveLength(1);
  });

  it('a line over the one-line limit (64 Mi characters) is one problem, never held whole; the lines around it are checked', async () => {
    const dir = tmpDir('validate-long');
    const file = join(dir, 'long.jsonl');
    const ok = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    writeFileSync(file, `${ok}\n${'x'.repeat(MAX_LINE_CHARS + 1)}\n${ok}\n`);
    const r = await validateJsonl(file, 'long.jsonl');
    expect(r.examples).toBe(2);
    expect(r.issues).toEqual([{ line: 2, problem: `a line of ${(MAX_LINE_CHARS + 1).toLocaleString('en-US')} characters, over the ${MAX_LINE_CHARS.toLocaleString('en-US')}-character limit for one line: not read` }]);
  });

  it('the per-example token limit follows the base model, and can be set', async () => {
    expect(exampleTokenLimit('gpt-3.5-turbo-0125')).toBe(16_385);
    expect(exampleTokenLimit('gpt-3.5-turbo-0613')).toBe(4_096);
    expect(exampleTokenLimit('gpt-4o-mini-2024-07-18')).toBe(65_536);
    expect(exampleTokenLimit('ft:gpt-3.5-turbo-1106:acme::x1')).toBe(16_385);
    const dir = tmpDir('validate-limit');
    const file = join(dir, 'long.jsonl');
    const long = { messages: [{ role: 'user', content: 'word '.repeat(5_000) }, { role: 'assistant', content: 'ok' }] };
    writeFileSync(file, `${JSON.stringify(long)}\n`);
    expect((await validateJsonl(file, 'long.jsonl', { model: 'gpt-4.1-mini-2025-04-14' })).issues).toEqual([]);
    const old = await validateJsonl(file, 'long.jsonl', { model: 'gpt-3.5-turbo-0613' });
    expect(old.tokens.limit).toBe(4_096);
    expect(old.issues[0]!.problem).toMatch(/over the 4,096-token limit per example/);
    expect((await validateJsonl(file, 'long.jsonl', { maxExampleTokens: 100_000, model: 'gpt-3.5-turbo-0613' })).issues).toEqual([]);
  });
});
