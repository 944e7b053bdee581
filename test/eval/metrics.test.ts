import { describe, expect, it } from 'vitest';
import { bleuFromStats, bleuStats, corpusBleu, sentenceBleu } from '../../src/eval/bleu.js';
import { chrfFromStats, chrfStats, corpusChrf, sentenceChrf } from '../../src/eval/chrf.js';
import { tokenize13a } from '../../src/eval/tokenize-13a.js';

// Expected values below were produced by sacrebleu 2.6.0 (Python) on the same strings:
//   BLEU().corpus_score(hyps, [refs]), CHRF().corpus_score(...), CHRF().sentence_score(h, [r]),
//   BLEU(effective_order=True).sentence_score(h, [r]), Tokenizer13a()(line).

describe('13a tokenizer', () => {
  it.each([
    [`Hello, world! It's 3.14 - e.g. (x) 5-6 a-b "q" &amp; <tag>`, `Hello , world ! It's 3.14 - e . g . ( x ) 5 - 6 a-b " q " & < tag >`],
    ['Price: $1,000.50; see https://x.io/a?b=c&d.', 'Price : $ 1,000.50 ; see https : / / x . io / a ? b = c & d .'],
    ['Line one-\nline two\nthree', 'Line oneline two three'],
    ['Ünïcödé — “quotes” … ok', 'Ünïcödé — “quotes” … ok'],
  ])('%j', (input, expected) => {
    expect(tokenize13a(input)).toBe(expected);
  });
});

describe('chrF (sacreBLEU-compatible: char 6-grams, β=2, whitespace removed)', () => {
  it('hand-computed: "ab" vs "abc"', () => {
    // order 1: hyp {a,b}=2, ref {a,b,c}=3, match 2 → P=1, R=2/3; order 2: hyp {ab}=1, ref {ab,bc}=2, match 1 → P=1, R=1/2
    // orders 3–6: the hypothesis has none → not effective. avgP=1, avgR=7/12.
    // F2 = 5·P·R / (4P + R) = 5·(7/12) / (4 + 7/12) = (35/12)/(55/12) = 7/11 → 63.6363…
    expect(chrfStats('ab', 'abc').slice(0, 6)).toEqual([2, 3, 2, 1, 2, 1]);
    expect(sentenceChrf('ab', 'abc')).toBeCloseTo((700 / 11), 10);
  });

  it('identical text scores 100, disjoint text 0, whitespace ignored', () => {
    expect(sentenceChrf('The same words.', 'The same words.')).toBeCloseTo(100, 10);
    expect(sentenceChrf('xyz', 'abc')).toBe(0);
    expect(sentenceChrf('a b  c', 'abc')).toBeCloseTo(100, 10);
  });

  it('matches sacrebleu on sentences and on a corpus', () => {
    expect(sentenceChrf('The relationship between Obama and Netanyahu is not exactly friendly.', 'The ties between Obama and Netanyahu are not particularly friendly.')).toBeCloseTo(61.576379378113785, 9);
    expect(sentenceChrf('The cat sat on the mat.', 'The cat is sitting on the mat.')).toBeCloseTo(49.6485170311433, 9);
    expect(sentenceChrf("Arr, the ship be sailin' at dawn!", 'The ship sails at dawn.')).toBeCloseTo(45.748818693655984, 9);
    expect(sentenceChrf('Completely different words here.', 'Nothing in common at all, 42.')).toBeCloseTo(8.027784084263827, 9);
    expect(sentenceChrf('', 'Something.')).toBe(0);
    // Code points, not UTF-16 units.
    expect(sentenceChrf('👍🏽 nice', '👍 nice one')).toBeCloseTo(28.135980432326395, 9);
    const hyps = ['The cat sat on the mat.', "Arr, the ship be sailin' at dawn!", '', 'Completely different words here.'];
    const refs = ['The cat is sitting on the mat.', 'The ship sails at dawn.', 'Something.', 'Nothing in common at all, 42.'];
    expect(corpusChrf(hyps, refs)).toBeCloseTo(30.017358255603106, 9);
  });

  it('multi-reference: the best reference per segment (sacreBLEU README example)', () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs1 = ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'];
    const refs2 = ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'];
    expect(corpusChrf(sys, sys.map((_, i) => [refs1[i]!, refs2[i]!])).toFixed(2)).toBe('59.73');
    expect(corpusChrf(sys, refs1).toFixed(2)).toBe('50.04');
  });

  it('corpus chrF sums statistics, it is not the mean of sentence scores', () => {
    const a = chrfStats('ab', 'abc');
    const b = chrfStats('The same words.', 'The same words.');
    const summed = a.map((v, i) => v + b[i]!);
    expect(corpusChrf(['ab', 'The same words.'], ['abc', 'The same words.'])).toBeCloseTo(chrfFromStats(summed), 12);
    expect(corpusChrf(['ab', 'The same words.'], ['abc', 'The same words.'])).not.toBeCloseTo((sentenceChrf('ab', 'abc') + 100) / 2, 3);
  });
});

describe('BLEU-4 (sacreBLEU-compatible: 13a, exp smoothing, brevity penalty)', () => {
  it('hand-computed: "the cat" vs "the cat sat"', () => {
    // 1-grams 2/2, 2-grams 1/1, no 3- or 4-grams. BP = exp(1 − 3/2) = 0.6065…
    const stats = bleuStats('the cat', ['the cat sat']);
    expect(stats).toEqual({ correct: [2, 1, 0, 0], total: [2, 1, 0, 0], hypLen: 2, refLen: 3 });
    const bp = Math.exp(1 - 3 / 2);
    // Sentence level (effective order 2): BP · (1 · 1)^(1/2)
    expect(sentenceBleu('the cat', 'the cat sat').score).toBeCloseTo(100 * bp, 10);
    expect(sentenceBleu('the cat', 'the cat sat').score).toBeCloseTo(60.653065971263345, 9);
    // Corpus level (all 4 orders): a missing order zeroes the score, like sacrebleu's BLEU 0.00.
    expect(corpusBleu(['the cat'], ['the cat sat']).score).toBeCloseTo(0, 10);
  });

  it('exp smoothing halves again for each order with no match', () => {
    const s = bleuFromStats({ correct: [3, 0, 0, 0], total: [4, 3, 2, 1], hypLen: 4, refLen: 4 });
    expect(s.precisions).toEqual([75, 100 / (2 * 3), 100 / (4 * 2), 100 / (8 * 1)]);
    expect(s.score).toBeCloseTo(Math.exp((Math.log(75) + Math.log(100 / 6) + Math.log(12.5) + Math.log(12.5)) / 4), 10);
  });

  it('matches sacrebleu on a corpus and on sentences', () => {
    const hyps = ['The cat sat on the mat.', "Arr, the ship be sailin' at dawn!", '', 'Completely different words here.'];
    const refs = ['The cat is sitting on the mat.', 'The ship sails at dawn.', 'Something.', 'Nothing in common at all, 42.'];
    const c = corpusBleu(hyps, refs);
    expect(c.score).toBeCloseTo(16.973322181507793, 9);
    expect(c.precisions[0]).toBeCloseTo(47.61904761904762, 9);
    expect(c.precisions[3]).toBeCloseTo(8.333333333333334, 9);
    expect(c.bp).toBeCloseTo(0.8668778997501817, 12);
    expect(sentenceBleu('The cat sat on the mat.', 'The cat is sitting on the mat.').score).toBeCloseTo(42.38365628278778, 9);
    expect(sentenceBleu("Arr, the ship be sailin' at dawn!", 'The ship sails at dawn.').score).toBeCloseTo(10.552670315936318, 9);
    expect(sentenceBleu('Completely different words here.', 'Nothing in common at all, 42.').score).toBeCloseTo(5.862502026550896, 9);
    expect(sentenceBleu('', 'Something.').score).toBe(0);
  });

  it('multi-reference (sacreBLEU README example: 48.53 and 45.07 with one reference)', () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs1 = ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'];
    const refs2 = ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'];
    const multi = corpusBleu(sys, sys.map((_, i) => [refs1[i]!, refs2[i]!]));
    expect(multi.score.toFixed(2)).toBe('48.53');
    expect(multi.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
    expect(multi.bp.toFixed(3)).toBe('0.943');
    expect(corpusBleu(sys, refs1).score.toFixed(2)).toBe('45.07');
  });

  it('refuses mismatched lengths and empty references', () => {
    expect(() => corpusBleu(['a'], [])).toThrow(/1 hypotheses but 0 references/);
    expect(() => bleuStats('a', [''])).toThrow(/non-empty reference/);
  });
});
