import { describe, expect, it } from 'vitest';
import { checkNeutral, hasWords } from '../../src/corpus/check.js';

describe('checkNeutral', () => {
  it('accepts a rewrite that keeps every number, URL, name and mention', () => {
    expect(checkNeutral('Arr, pay 1,000 doubloons at https://x.io/pay now, says Captain Ana to <@U123>!', 'Pay 1000 doubloons at https://x.io/pay now, Captain Ana tells <@U123>.')).toBeNull();
  });

  it('rejects empty, cut-off and far shorter rewrites', () => {
    expect(checkNeutral('A long sentence with many words in it, to be sure.', '  ')).toBe('empty output');
    expect(checkNeutral('Some text here.', 'Some text', 'length')).toMatch(/cut off/);
    const long = 'A very long and winding sentence that goes on and on about the weather and the sea and the ships.';
    expect(checkNeutral(long, 'It is about weather.')).toMatch(/^output is \d+% of the source length$/);
    // Short chat lines legitimately shrink: no length check under the floor.
    expect(checkNeutral('Arrr, aye aye, matey!!!', 'Yes.')).toBeNull();
  });

  it('names what was lost', () => {
    expect(checkNeutral('It cost 40 dollars and 3 cents in total, sir.', 'It cost dollars and 3 cents in total.')).toBe('lost number "40"');
    expect(checkNeutral('See https://a.io/x for it all, friend.', 'See the docs for all of it, friend.')).toBe('lost URL "https://a.io/x"');
    expect(checkNeutral('Write to ops@example.com for access, kindly.', 'Write to the ops team for access.')).toBe('lost email address "ops@example.com"');
    expect(checkNeutral('Ping <@U123> about it, and quickly now.', 'Ping the owner about it quickly.')).toBe('lost mention "<@U123>"');
    expect(checkNeutral('Then run `npm ci` and wait, my friend.', 'Then run the install and wait.')).toBe('lost code "`npm ci`"');
    expect(checkNeutral('We sailed with Corwin and Mira to the isle.', 'We sailed with Mira to the isle.')).toBe('lost name "Corwin"');
  });

  it('matches names case-insensitively and numbers across thousands separators', () => {
    expect(checkNeutral('The government of the Union is strong.', 'The union government is strong.')).toBeNull();
    expect(checkNeutral('We raised 2500 coins.', 'We raised 2,500 coins.')).toBeNull();
  });
});

describe('hasWords', () => {
  it('is false for blocks of only links, mentions and emoji', () => {
    expect(hasWords('https://example.com/x')).toBe(false);
    expect(hasWords('<@U123> :tada: 🎉')).toBe(false);
    expect(hasWords('Nice work <@U123> :tada:')).toBe(true);
  });
});
