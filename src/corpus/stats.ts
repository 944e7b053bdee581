/** Per-example token limit of OpenAI chat fine-tuning for current base models (longer examples are truncated). */
export const MAX_EXAMPLE_TOKENS = 65_536;

/**
 * Per-example limits that differ by base model (OpenAI's fine-tuning guide, "Token limits": the limit is the
 * model's training context). First matching prefix wins; other models get MAX_EXAMPLE_TOKENS.
 */
const EXAMPLE_TOKEN_LIMITS: ReadonlyArray<readonly [prefix: string, tokens: number]> = [
  ['gpt-3.5-turbo-0613', 4_096],
  ['gpt-3.5-turbo', 16_385],
  ['gpt-4-0613', 8_192],
  ['gpt-4o', 65_536],
  ['gpt-4.1', 65_536],
];

/** The per-example token limit for a base model (a `ft:` model counts as its base). */
export function exampleTokenLimit(model?: string): number {
  const base = model?.startsWith('ft:') ? model.split(':')[1]! : model;
  return EXAMPLE_TOKEN_LIMITS.find(([prefix]) => base?.startsWith(prefix))?.[1] ?? MAX_EXAMPLE_TOKENS;
}

/** Token counts of many examples without keeping the examples: a growable array of numbers. */
export class TokenTally {
  private values = new Uint32Array(1024);
  count = 0;
  total = 0;

  add(n: number): void {
    if (this.count === this.values.length) {
      const bigger = new Uint32Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = n;
    this.total += n;
  }

  /** Nearest-rank percentile (p in 0–100); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1))]!;
  }
}

/**
 * The number of epochs OpenAI picks when none is given, per its cookbook ("Data preparation and analysis
 * for chat model fine-tuning"): 3, raised for tiny sets so ~100 examples are seen, lowered for big ones so
 * ~25,000 are, within 1–25.
 */
export function defaultEpochs(trainExamples: number): number {
  if (trainExamples <= 0) return 0;
  if (trainExamples * 3 < 100) return Math.min(25, Math.floor(100 / trainExamples));
  if (trainExamples * 3 > 25_000) return Math.max(1, Math.floor(25_000 / trainExamples));
  return 3;
}

/** Dollars, rounded to the cent (costs below a cent show as 0.01 rather than vanishing). */
export function usd(tokens: number, pricePerMTok: number): number {
  const v = (tokens / 1e6) * pricePerMTok;
  return v > 0 && v < 0.01 ? 0.01 : Math.round(v * 100) / 100;
}
