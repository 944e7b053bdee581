/**
 * Style strength: a multinomial naive Bayes classifier over character 2–4-grams (Laplace smoothing, α = 1),
 * trained on the corpus's two sides — the styled outputs and the neutral inputs of train.jsonl. A model's
 * output counts as "in style" when the classifier puts it on the styled side. Naive Bayes on character
 * n-grams is a strong, tiny baseline for authorship and style (Peng, Schuurmans & Wang 2003, "Language and
 * task independent text categorization with simple language models"; Manning, Raghavan & Schütze,
 * "Introduction to Information Retrieval" §13.2 for the estimator).
 */
export type StyleLabel = 'styled' | 'neutral';

export interface ClassifierOptions {
  minN?: number;
  maxN?: number;
  alpha?: number;
  /** Cap on training texts per side (evenly spaced), to bound memory on 30k-example corpora. */
  maxPerClass?: number;
}

export interface StyleClassifier {
  /** P(styled | text), 0–1. */
  probability(text: string): number;
  predict(text: string): StyleLabel;
  readonly vocabulary: number;
  readonly trainedOn: { styled: number; neutral: number };
}

/** Character n-grams of a text: whitespace runs become one space, case kept (capitals are style too). */
export function charGrams(text: string, minN: number, maxN: number): Map<string, number> {
  const chars = Array.from(` ${text.replace(/\s+/gu, ' ').trim()} `);
  const out = new Map<string, number>();
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      out.set(g, (out.get(g) ?? 0) + 1);
    }
  }
  return out;
}

function sample<T>(items: readonly T[], max: number): readonly T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]!);
}

export function trainStyleClassifier(styled: readonly string[], neutral: readonly string[], options: ClassifierOptions = {}): StyleClassifier {
  const { minN = 2, maxN = 4, alpha = 1, maxPerClass = 5000 } = options;
  if (styled.length === 0 || neutral.length === 0) throw new RangeError('the style classifier needs styled and neutral examples');
  const sides = { styled: sample(styled, maxPerClass), neutral: sample(neutral, maxPerClass) };
  const counts = { styled: new Map<string, number>(), neutral: new Map<string, number>() };
  const totals = { styled: 0, neutral: 0 };
  for (const label of ['styled', 'neutral'] as const) {
    for (const text of sides[label]) {
      for (const [g, c] of charGrams(text, minN, maxN)) {
        counts[label].set(g, (counts[label].get(g) ?? 0) + c);
        totals[label] += c;
      }
    }
  }
  const vocab = new Set([...counts.styled.keys(), ...counts.neutral.keys()]);
  const V = vocab.size;
  const prior = {
    styled: Math.log(sides.styled.length / (sides.styled.length + sides.neutral.length)),
    neutral: Math.log(sides.neutral.length / (sides.styled.length + sides.neutral.length)),
  };
  const denom = { styled: Math.log(totals.styled + alpha * V), neutral: Math.log(totals.neutral + alpha * V) };
  const logOdds = (text: string): number => {
    let s = prior.styled - prior.neutral;
    for (const [g, c] of charGrams(text, minN, maxN)) {
      // n-grams never seen in training carry no evidence (as with a fitted vocabulary in scikit-learn).
      if (!vocab.has(g)) continue;
      const ls = Math.log((counts.styled.get(g) ?? 0) + alpha) - denom.styled;
      const ln = Math.log((counts.neutral.get(g) ?? 0) + alpha) - denom.neutral;
      s += c * (ls - ln);
    }
    return s;
  };
  return {
    probability(text) {
      const z = logOdds(text);
      return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    },
    predict(text) {
      // A tie is no evidence of style: with styled and neutral training texts alike, every text ties.
      return logOdds(text) > 0 ? 'styled' : 'neutral';
    },
    vocabulary: V,
    trainedOn: { styled: sides.styled.length, neutral: sides.neutral.length },
  };
}

/** Share of `texts` the classifier labels `expected` (0–1; 0 for no texts). */
export function accuracy(classifier: StyleClassifier, texts: readonly string[], expected: StyleLabel): number {
  if (texts.length === 0) return 0;
  return texts.filter((t) => classifier.predict(t) === expected).length / texts.length;
}
