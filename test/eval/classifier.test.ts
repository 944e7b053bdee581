import { describe, expect, it } from 'vitest';
import { accuracy, charGrams, trainStyleClassifier } from '../../src/eval/classifier.js';
import { classifierCaveat } from '../../src/eval/report.js';
import { pair } from '../training/corpus.js';

describe('style classifier (char 2–4-gram multinomial naive Bayes)', () => {
  it('counts character n-grams with whitespace collapsed and padded ends', () => {
    const g = charGrams('ab  a', 2, 3);
    // " ab a " → 2-grams: " a","ab","b "," a","a " ; 3-grams: " ab","ab ","b a"," a "
    expect(Object.fromEntries(g)).toEqual({ ' a': 2, ab: 1, 'b ': 1, 'a ': 1, ' ab': 1, 'ab ': 1, 'b a': 1, ' a ': 1 });
  });

  it('separates a separable toy corpus: held-out accuracy ≥ 95% both ways', () => {
    const train = Array.from({ length: 40 }, (_, i) => pair(i));
    const held = Array.from({ length: 20 }, (_, i) => pair(1000 + i));
    const clf = trainStyleClassifier(train.map((p) => p.styled), train.map((p) => p.neutral));
    expect(accuracy(clf, held.map((p) => p.styled), 'styled')).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(clf, held.map((p) => p.neutral), 'neutral')).toBeGreaterThanOrEqual(0.95);
    const p = clf.probability('Arr, the parrot be ready at sunrise, matey!');
    expect(p).toBeGreaterThan(0.9);
    expect(p).toBeLessThanOrEqual(1);
    expect(clf.probability('The parrot will be ready at sunrise.')).toBeLessThan(0.1);
    expect(clf.trainedOn).toEqual({ styled: 40, neutral: 40 });
  });

  it('is no better than chance on text with no signal, and caps the training size', () => {
    const same = Array.from({ length: 30 }, (_, i) => `Line number ${i} of the same text.`);
    const clf = trainStyleClassifier(same, same, { maxPerClass: 10 });
    expect(clf.trainedOn).toEqual({ styled: 10, neutral: 10 });
    expect(clf.probability('Line number 3 of the same text.')).toBeCloseTo(0.5, 6);
    // A tie is no evidence of style: nothing reads as styled, so --min-style cannot pass on such data.
    expect(accuracy(clf, same, 'styled')).toBe(0);
    expect(classifierCaveat({ classifier: { referenceAccuracy: 0, inputAccuracy: 0, trainedOn: clf.trainedOn, vocabulary: clf.vocabulary } })).toMatch(/barely tells references \(0% in style\) from inputs \(0%\)/);
    expect(classifierCaveat({ classifier: { referenceAccuracy: 0.95, inputAccuracy: 0.05, trainedOn: clf.trainedOn, vocabulary: clf.vocabulary } })).toBeUndefined();
    expect(() => trainStyleClassifier([], ['x'])).toThrow(/needs styled and neutral examples/);
    expect(accuracy(clf, [], 'styled')).toBe(0);
  });
});
