import { mapLimit } from '../util/map-limit.js';
import type { ChatExample } from '../training/examples.js';
import { corpusBleu, sentenceBleu } from './bleu.js';
import { corpusChrf, sentenceChrf } from './chrf.js';
import type { StyleClassifier } from './classifier.js';
import type { SystemMetrics } from './thresholds.js';

/** One model (or style) being evaluated. */
export interface Candidate {
  /** Short label: "A", "B". */
  label: string;
  /** What it is: `style pirate (ft:…)`, a model id. */
  name: string;
  run(input: string, params: Record<string, string>): Promise<CandidateOutput>;
}

export interface CandidateOutput {
  text: string;
  blocks: number;
  fallbacks: number;
  /** Set when the model failed and the input came back unchanged. */
  error?: string;
}

export interface EvalExample extends ChatExample {
  params: Record<string, string>;
}

export interface ExampleResult {
  line: number;
  input: string;
  reference: string;
  outputs: Array<{ text: string; chrf: number; bleu: number; pTarget: number; fallbacks: number; blocks: number; error?: string }>;
}

export interface EvalResult {
  candidates: Array<{ label: string; name: string; metrics: SystemMetrics }>;
  examples: ExampleResult[];
  /** The classifier's view of the data itself: it should read references as target and inputs as source. */
  classifier: { referenceAccuracy: number; inputAccuracy: number; trainedOn: { styled: number; neutral: number }; vocabulary: number };
}

/**
 * Run every candidate on every example (bounded concurrency), then score: corpus chrF and BLEU against the
 * reference and against the input, style accuracy by the classifier, length ratios, fallback and error rates.
 */
export async function evaluate(
  examples: readonly EvalExample[],
  candidates: readonly Candidate[],
  classifier: StyleClassifier,
  options: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvalResult> {
  const total = examples.length * candidates.length;
  let done = 0;
  const jobs = examples.flatMap((e, i) => candidates.map((c, k) => ({ e, i, c, k })));
  const outputs = await mapLimit(jobs, options.concurrency ?? 8, async ({ e, c }) => {
    let out: CandidateOutput;
    try {
      out = await c.run(e.user, e.params);
    } catch (error) {
      out = { text: e.user, blocks: 0, fallbacks: 0, error: error instanceof Error ? error.message : String(error) };
    }
    options.onProgress?.(++done, total);
    return out;
  });
  const byExample: ExampleResult[] = examples.map((e, i) => ({
    line: e.line,
    input: e.user,
    reference: e.assistant,
    outputs: candidates.map((_, k) => {
      const o = outputs[i * candidates.length + k]!;
      return {
        text: o.text,
        chrf: sentenceChrf(o.text, e.assistant),
        bleu: sentenceBleu(o.text, e.assistant).score,
        pTarget: classifier.probability(o.text),
        fallbacks: o.fallbacks,
        blocks: o.blocks,
        ...(o.error ? { error: o.error } : {}),
      };
    }),
  }));
  const refs = examples.map((e) => e.assistant);
  const inputs = examples.map((e) => e.user);
  const chars = (xs: readonly string[]): number => xs.reduce((n, s) => n + Array.from(s).length, 0);
  const results = candidates.map((c, k) => {
    const texts = byExample.map((r) => r.outputs[k]!.text);
    const blocks = byExample.reduce((n, r) => n + r.outputs[k]!.blocks, 0);
    const fallbacks = byExample.reduce((n, r) => n + r.outputs[k]!.fallbacks, 0);
    const errors = byExample.filter((r) => r.outputs[k]!.error !== undefined).length;
    const metrics: SystemMetrics = {
      chrf: corpusChrf(texts, refs),
      bleu: corpusBleu(texts, refs).score,
      chrfInput: corpusChrf(texts, inputs),
      bleuInput: corpusBleu(texts, inputs).score,
      styleAccuracy: texts.filter((t) => classifier.predict(t) === 'styled').length / Math.max(1, texts.length),
      fallbackRate: blocks === 0 ? 0 : fallbacks / blocks,
      lengthRatio: chars(texts) / Math.max(1, chars(refs)),
      lengthRatioInput: chars(texts) / Math.max(1, chars(inputs)),
      errorRate: errors / Math.max(1, texts.length),
    };
    return { label: c.label, name: c.name, metrics };
  });
  return {
    candidates: results,
    examples: byExample,
    classifier: {
      referenceAccuracy: refs.filter((t) => classifier.predict(t) === 'styled').length / Math.max(1, refs.length),
      inputAccuracy: inputs.filter((t) => classifier.predict(t) === 'styled').length / Math.max(1, inputs.length),
      trainedOn: classifier.trainedOn,
      vocabulary: classifier.vocabulary,
    },
  };
}
