import { describe, expect, it } from 'vitest';
import { checkNeutral } from '../../src/corpus/check.js';
import { encodeBlock, encodedPair } from '../../src/corpus/encoded-pair.js';
import { destyleRequest, requestKey } from '../../src/corpus/editor.js';
import { protect } from '../../src/restyle/placeholders.js';

const styled = 'Yo <@U0BMS113R>, grab the notes at <https://example.com/n|the wiki> and run `make` :tada:';

describe('encodedPair', () => {
  it('numbers each example the way the filter numbers a live request', () => {
    const p = encodeBlock(styled);
    expect(p.text).toBe('Yo ⟦0⟧, grab the notes at ⟦1⟧ and run ⟦2⟧ ⟦3⟧');
    // The editor moved the spans around.
    const pair = encodedPair(styled, { encoded: 'Run ⟦2⟧ after reading ⟦1⟧, ⟦0⟧. ⟦3⟧' });
    if ('reason' in pair) throw new Error(pair.reason);
    expect(pair.neutral).toBe('Run `make` after reading <https://example.com/n|the wiki>, <@U0BMS113R>. :tada:');
    // Styler line: the user message is exactly what protect() makes of the raw neutral text.
    expect(pair.styler.input).toBe(protect(pair.neutral).text);
    expect(pair.styler.input).toBe('Run ⟦0⟧ after reading ⟦1⟧, ⟦2⟧. ⟦3⟧');
    expect(pair.styler.output).toBe('Yo ⟦2⟧, grab the notes at ⟦1⟧ and run ⟦0⟧ ⟦3⟧');
    expect(pair.styler.spans).toEqual(['`make`', '<https://example.com/n|the wiki>', '<@U0BMS113R>', ':tada:']);
    // De-styler line: the user message is the styled block as the filter encodes it.
    expect(pair.destyler.input).toBe(p.text);
    expect(pair.destyler.output).toBe('Run ⟦2⟧ after reading ⟦1⟧, ⟦0⟧. ⟦3⟧');
  });

  it('rejects an answer that lost, repeated or invented a placeholder', () => {
    expect(encodedPair(styled, { encoded: 'Run ⟦2⟧ after reading ⟦1⟧. ⟦3⟧' })).toEqual({ reason: 'lost placeholder ⟦0⟧ ("<@U0BMS113R>")' });
    expect(encodedPair(styled, { encoded: '⟦0⟧ ⟦0⟧ ⟦1⟧ ⟦2⟧ ⟦3⟧' })).toMatchObject({ reason: expect.stringMatching(/repeated, invented or mangled/) });
    expect(encodedPair(styled, { encoded: '⟦0⟧ ⟦1⟧ ⟦2⟧ ⟦3⟧ ⟦4⟧' })).toMatchObject({ reason: expect.stringMatching(/repeated, invented or mangled/) });
  });

  it('rejects a pair whose spans would merge with their neighbours once restored', () => {
    const pair = encodedPair('See https://a.io/x now, friend.', { encoded: 'See ⟦0⟧s now.' });
    expect(pair).toMatchObject({ reason: expect.stringMatching(/round trip/) });
  });

  it('encodes an approved raw neutral side with the same placeholders, and refuses differing spans', () => {
    const pair = encodedPair(styled, { raw: ':tada: Run `make`; notes at <https://example.com/n|the wiki>; <@U0BMS113R>.' });
    if ('reason' in pair) throw new Error(pair.reason);
    expect(pair.styler.input).toBe('⟦0⟧ Run ⟦1⟧; notes at ⟦2⟧; ⟦3⟧.');
    expect(pair.styler.output).toBe('Yo ⟦3⟧, grab the notes at ⟦2⟧ and run ⟦1⟧ ⟦0⟧');
    expect(encodedPair(styled, { raw: 'Run `make` and read the wiki. :tada: <@U0BMS113R>' })).toEqual({ reason: 'the neutral side lost "<https://example.com/n|the wiki>"' });
    expect(encodedPair('Hi <@U1> there', { raw: 'Hello <@U2> there' })).toEqual({ reason: 'the neutral side has "<@U2>", which the styled side lacks' });
  });

  it('keeps the placeholder brackets the filter picks when the text already uses ⟦ ⟧', () => {
    const s = 'The ⟦x⟧ notation, says <@U1>, is neat.';
    const pair = encodedPair(s, { encoded: 'The ⟦x⟧ notation is neat, says ⟪0⟫.' });
    if ('reason' in pair) throw new Error(pair.reason);
    expect(pair.styler.input).toBe(protect(pair.neutral).text);
    expect(pair.styler.output).toBe('The ⟦x⟧ notation, says ⟪0⟫, is neat.');
  });
});

describe('checkNeutral with a span table', () => {
  it('names the lost placeholder and checks facts on the restored text', () => {
    const p = protect('Ping <@U123> about the 40 crates at https://a.io/x, friend.');
    expect(checkNeutral(p.text, 'Ping ⟦0⟧ about the crates at ⟦1⟧.', null, { spans: p })).toBe('lost number "40"');
    expect(checkNeutral(p.text, 'Ping someone about the 40 crates at ⟦1⟧.', null, { spans: p })).toBe('lost placeholder ⟦0⟧ ("<@U123>")');
    expect(checkNeutral(p.text, 'Tell ⟦0⟧ about the 40 crates at ⟦1⟧.', null, { spans: p })).toBeNull();
  });
});

describe('the editor request for an encoded block', () => {
  const editor = { model: 'editor-1', prompt: 'Strip the style.', endpoint: { baseUrl: 'http://127.0.0.1:1/v1', apiKey: undefined, apiKeyEnv: 'OPENAI_API_KEY' } };
  it('keeps the bare prompt (and so the cache key) for a block without spans, and names the placeholders otherwise', () => {
    const plain = encodeBlock('Nothing to protect here.');
    const before = { model: 'editor-1', temperature: 0, messages: [{ role: 'system' as const, content: 'Strip the style.' }, { role: 'user' as const, content: 'Nothing to protect here.' }] };
    expect(requestKey(destyleRequest(editor, plain.text, { count: plain.spans.length, open: plain.open, close: plain.close }))).toBe(requestKey(before));
    const p = encodeBlock(styled);
    const req = destyleRequest(editor, p.text, { count: p.spans.length, open: p.open, close: p.close });
    expect(req.messages[0]!.content).toBe('Strip the style.\n\nThe text contains placeholders from ⟦0⟧ to ⟦3⟧ standing for links, mentions, code and emoji: keep each one exactly once, unchanged, where it fits in your rewrite.');
  });
});
