import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { protect, restore } from '../../src/restyle/placeholders.js';
import { addedMentions } from '../../src/restyle/mentions.js';

describe('placeholders', () => {
  it('protects inline code, URLs, Slack and Discord tokens, emoji', () => {
    const text =
      'Run `npm ci` then see https://example.com/docs?a=1. Ping <@U123ABC> in <#C999|general>, <!here> :tada: ' +
      'or <@112233> <#445566> <:party:778899> <a:wave:123>, not at 10:30:45.';
    const p = protect(text);
    expect(p.spans).toEqual([
      '`npm ci`',
      'https://example.com/docs?a=1',
      '<@U123ABC>',
      '<#C999|general>',
      '<!here>',
      ':tada:',
      '<@112233>',
      '<#445566>',
      '<:party:778899>',
      '<a:wave:123>',
    ]);
    expect(p.text).not.toContain('npm ci');
    expect(p.text).toContain('10:30:45');
    expect(restore(p.text, p)).toBe(text);
  });

  it('restores after the model moved placeholders around', () => {
    const p = protect('See https://a.io and `x`.');
    const styled = `Arr, ${p.open}1${p.close} be the thing; look at ${p.open}0${p.close}!`;
    expect(restore(styled, p)).toBe('Arr, `x` be the thing; look at https://a.io!');
  });

  it('rejects a reply that lost, repeated or invented a placeholder', () => {
    const p = protect('See https://a.io and `x`.');
    const o = p.open;
    const c = p.close;
    expect(restore(`only ${o}0${c}`, p)).toBeNull();
    expect(restore(`${o}0${c} ${o}0${c} ${o}1${c}`, p)).toBeNull();
    expect(restore(`${o}0${c} ${o}1${c} ${o}2${c}`, p)).toBeNull();
    expect(restore(`${o}0${c} ${o}1`, p)).toBeNull();
  });

  it('uses brackets the text does not already contain', () => {
    const p = protect('literal ⟦0⟧ and `code`');
    expect(p.open).not.toBe('⟦');
    expect(restore(p.text, p)).toBe('literal ⟦0⟧ and `code`');
  });

  it('protect then restore is the identity (property)', () => {
    const piece = fc.constantFrom('text ', '`c`', 'https://x.io/a_b', '<@U1>', '<#C1|g>', '<!channel>', ':smile:', '<:e:1>', '12:30:00', '⟦', '⟧', '⟦3⟧', ' ', '\n', '@here', '(', ')', '.');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        const p = protect(text);
        expect(restore(p.text, p)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('mention safety', () => {
  it('finds mentions the styled text added', () => {
    expect(addedMentions('Hello <@U1>', 'Ahoy <@U1> and <!channel>')).toEqual(['<!channel>']);
    expect(addedMentions('hi', 'hi @everyone')).toEqual(['@everyone']);
    expect(addedMentions('hi <@123>', 'yo <@!123>')).toEqual([]);
    expect(addedMentions('hi', 'yo <@&999>')).toEqual(['<@&999>']);
  });
});
