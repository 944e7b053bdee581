import { describe, expect, it } from 'vitest';
import { decodeSlack, encodeSlack, escapeSlack } from '../../src/restyle/slack-text.js';

describe('Slack escaping', () => {
  it('decodes what Slack sends into the text as typed, quotes included', () => {
    // From the 2016 export in test/fixtures/corpus/slack-real/testarchive.zip (enrique/2016-03-25.json).
    expect(decodeSlack('&gt;"Essentially what I\'m getting from this is that SA is just a bad metaheuristic')).toBe('>"Essentially what I\'m getting from this is that SA is just a bad metaheuristic');
    expect(decodeSlack('R&amp;D &lt;3 &amp;lt; <@U0BMS113R>')).toBe('R&D <3 &lt; <@U0BMS113R>');
  });

  it('escapes prose on the way back, leaving markup and quote markers alone', () => {
    expect(encodeSlack('R&D <3 a>b, ask <@U1> in <#C1|general>, see <https://x.io/?a=1&b=2|docs>')).toBe('R&amp;D &lt;3 a&gt;b, ask <@U1> in <#C1|general>, see <https://x.io/?a=1&b=2|docs>');
    expect(encodeSlack('> quoted & kept\nnot > a quote\n  > indented quote')).toBe('> quoted &amp; kept\nnot &gt; a quote\n  > indented quote');
    expect(encodeSlack('<@U1> > not a quote')).toBe('<@U1> &gt; not a quote');
  });

  it('a lone surrogate goes out as U+FFFD: Slack\'s form encoding would merge it with the next character', () => {
    expect(encodeSlack('lone \ud800 end')).toBe('lone \ufffd end');
    expect(escapeSlack('x\udc00y')).toBe('x\ufffdy');
    // A pair is one character, kept.
    expect(encodeSlack('a \ud83d\ude00 b')).toBe('a 😀 b');
  });

  it('round-trips text people typed', () => {
    for (const typed of ['a < b && c > d', '> quote\n>> nested', 'x <@U1> & <!here> y', '5 > 3 <= 4']) {
      expect(decodeSlack(encodeSlack(typed))).toBe(typed);
    }
  });
});
