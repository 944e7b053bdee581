import { describe, expect, it } from 'vitest';
import { bleuFromStats, bleuStats, corpusBleu, sentenceBleu, sumBleuStats, type BleuSmoothing } from '../../src/eval/bleu.js';
import { chrfFromStats, chrfStats, corpusChrf, sentenceChrf, sumChrfStats } from '../../src/eval/chrf.js';
import { tokenize13a } from '../../src/eval/tokenize-13a.js';

// Where an expected value comes from, said beside it: sacreBLEU's own test files and README
// (github.com/mjpost/sacrebleu: test/test_bleu.py, test/test_sentence_bleu.py, test/test_chrf.py, README.md),
// or arithmetic shown in the test. The tokenizer cases follow the 13a rules written out in
// src/eval/tokenize-13a.ts.

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

  // sacreBLEU test/test_chrf.py, test_cases_effective_order: corpus_chrf(char_order=6, word_order=0, beta=3,
  // eps_smoothing=False) — the effective-order chrF this implementation computes — to within its EPSILON 1e-4.
  it.each([
    [['a'], ['a'], 100.0],
    [[''], ['reference'], 0.0],
    [['a b c'], ['a b c'], 100.0],
    [['a b c'], ['abc'], 100.0],
    [[''], ['c'], 0.0],
    [['a', 'b'], ['a', 'c'], 50.0],
    [['aa'], ['ab'], 25.0],
  ])('sacreBLEU test_chrf.py (beta=3): %j vs %j → %d', (hyps, refs, expected) => {
    const score = chrfFromStats(sumChrfStats(hyps.map((h, i) => chrfStats(h, refs[i]!, 6, 3))), 3);
    expect(Math.abs(score - expected)).toBeLessThan(1e-4);
  });

  it('counts code points, not UTF-16 units', () => {
    // "👍" is one character (two UTF-16 units): against itself it is one matching 1-gram.
    expect(chrfStats('👍', '👍').slice(0, 3)).toEqual([1, 1, 1]);
    expect(sentenceChrf('', 'Something.')).toBe(0);
  });

  it('multi-reference: the best reference per segment (sacreBLEU README.md: chrF2 = 59.73)', () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs1 = ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'];
    const refs2 = ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'];
    expect(corpusChrf(sys, sys.map((_, i) => [refs1[i]!, refs2[i]!])).toFixed(2)).toBe('59.73');
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
    // Corpus level (all 4 orders): log(0) for the missing orders makes the score ~0.
    expect(corpusBleu(['the cat'], ['the cat sat']).score).toBeCloseTo(0, 10);
  });

  it('exp smoothing halves again for each order with no match', () => {
    const s = bleuFromStats({ correct: [3, 0, 0, 0], total: [4, 3, 2, 1], hypLen: 4, refLen: 4 });
    expect(s.precisions).toEqual([75, 100 / (2 * 3), 100 / (4 * 2), 100 / (8 * 1)]);
    expect(s.score).toBeCloseTo(Math.exp((Math.log(75) + Math.log(100 / 6) + Math.log(12.5) + Math.log(12.5)) / 4), 10);
  });

  // sacreBLEU test/test_sentence_bleu.py (its issue #141): no n-gram in common → 0.0 under every smoothing.
  it.each<[BleuSmoothing, number | undefined]>([
    ['exp', undefined],
    ['none', undefined],
    ['floor', undefined],
    ['floor', 0.1],
    ['add-k', undefined],
    ['add-k', 1],
  ])('sacreBLEU test_sentence_bleu.py: "this is a cat" vs "okay thanks", %s %s → 0.0', (smooth, smoothValue) => {
    expect(sentenceBleu('this is a cat', ['okay thanks'], { smooth, ...(smoothValue === undefined ? {} : { smoothValue }) }).score).toBe(0);
  });

  // sacreBLEU test/test_sentence_bleu.py, test_cases (13a, case-sensitive, effective order), EPSILON 1e-3.
  it.each<[BleuSmoothing, number | undefined, number]>([
    ['exp', undefined, 8.493],
    ['none', undefined, 0.0],
    ['floor', undefined, 4.51688],
    ['floor', 0.1, 4.51688],
    ['floor', 0.5, 10.1],
    ['add-k', undefined, 14.882],
    ['add-k', 1, 14.882],
    ['add-k', 2, 21.389],
  ])('sacreBLEU test_sentence_bleu.py (its #98 example): %s %s → %d', (smooth, smoothValue, expected) => {
    const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
    const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
    const score = sentenceBleu(SYS, [REF], { smooth, ...(smoothValue === undefined ? {} : { smoothValue }) }).score;
    expect(Math.abs(score - expected)).toBeLessThan(1e-3);
  });

  it('sacreBLEU test/test_bleu.py: corpus scores, statistics and scoring (EPSILON 1e-8)', () => {
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const byHyp = hyps.map((_, i) => [refs[0]![i]!, refs[1]![i]!]);
    // test_corpus_bleu_cases
    expect(Math.abs(corpusBleu(hyps, byHyp).score - 48.530827)).toBeLessThan(1e-6);
    expect(corpusBleu(['', '', ''], byHyp).score).toBe(0);
    expect(Math.abs(corpusBleu(hyps, byHyp, { smooth: 'none' }).score - 48.530827)).toBeLessThan(1e-6);
    // test_case_statistics
    const stats = bleuStats('am I am a character sequence', ['I am a symbol string sequence a a']);
    expect({ correct: stats.correct, total: stats.total }).toEqual({ correct: [4, 2, 1, 0], total: [6, 5, 4, 3] });
    // test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) with its default smoothing 'none'
    const scored = bleuFromStats({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], hypLen: 11, refLen: 11 }, { smooth: 'none' });
    expect(Math.abs(scored.score / 100 - 0.8375922397)).toBeLessThan(1e-8);
    // test_degenerate_statistics (floor smoothing): all 0.0
    const floor = (correct: number[], total: number[], hypLen: number, refLen: number, smoothValue: number) =>
      bleuFromStats({ correct, total, hypLen, refLen }, { smooth: 'floor', smoothValue }).score;
    expect(floor([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0)).toBe(0);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0)).toBe(0);
    expect(floor([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0)).toBeCloseTo(0, 12);
    expect(floor([0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01)).toBe(0);
  });

  // sacreBLEU test/test_bleu.py (as of commit 785d26b): raw_corpus_bleu(hyps, refs, .01) = floor smoothing 0.01,
  // effective order, no tokenization (these strings tokenize the same under 13a). EPSILON 1e-8.
  it.each([
    [['this is a test', 'another test'], ['ref1', 'ref2'], 0.0], // "This now returns 0.0 score (#141)"
    [['am I am a character sequence'], ['I am a symbol string sequence a a'], 0.1555722182], // test_case_offset, default 0.1 below
    [['this is a test'], ['this is a test'], 1.0],
    [['this is a fest'], ['this is a test'], 0.223606797749979],
    [['test'], ['a test'], 0.3678794411714425],
    [['a test'], ['a test'], 1.0],
    [['a little test'], ['a test'], 0.03218297948685433],
  ])('sacreBLEU test_bleu.py raw_corpus_bleu: %j vs %j → %d', (hyps, refs, expected) => {
    const total = sumBleuStats(hyps.map((h, i) => bleuStats(h, [refs[i]!])));
    const offset = hyps[0] === 'am I am a character sequence' ? 0.1 : 0.01;
    const score = bleuFromStats(total, { smooth: 'floor', smoothValue: offset, effectiveOrder: true }).score / 100;
    expect(Math.abs(score - expected)).toBeLessThan(1e-8);
  });

  it('sacreBLEU test/test_bleu.py test_bleu_max_order: the README example at orders 1–6', () => {
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const at = (order: number) => bleuFromStats(sumBleuStats(hyps.map((h, i) => bleuStats(h, [refs[0]![i]!, refs[1]![i]!], order)), order)).score.toFixed(2);
    expect([1, 2, 3, 4, 5, 6].map(at)).toEqual(['77.65', '60.50', '53.93', '48.53', '46.14', '43.28']);
    // test_case_offset without the offset (smooth_value 0.0): 0
    expect(bleuFromStats(bleuStats('am I am a character sequence', ['I am a symbol string sequence a a']), { smooth: 'floor', smoothValue: 0, effectiveOrder: true }).score).toBeCloseTo(0, 12);
  });

  it('multi-reference (sacreBLEU README.md: BLEU = 48.53 82.4/50.0/45.5/37.5, BP = 0.943)', () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs1 = ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'];
    const refs2 = ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'];
    const multi = corpusBleu(sys, sys.map((_, i) => [refs1[i]!, refs2[i]!]));
    expect(multi.score.toFixed(2)).toBe('48.53');
    expect(multi.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
    expect(multi.bp.toFixed(3)).toBe('0.943');
  });

  it('refuses mismatched lengths and empty references', () => {
    expect(() => corpusBleu(['a'], [])).toThrow(/1 hypotheses but 0 references/);
    expect(() => bleuStats('a', [''])).toThrow(/non-empty reference/);
  });
});
