/**
 * A text stream the test writes into by hand, so "block 1 is out before block 3 arrived" is checked by
 * order of events, not by timing.
 */
export class DeltaQueue implements AsyncIterable<string> {
  private readonly items: string[] = [];
  private ended = false;
  private error: unknown;
  private wake: (() => void) | null = null;
  /** Characters handed to the reader so far. */
  delivered = 0;

  push(text: string): void {
    this.items.push(text);
    this.poke();
  }

  end(): void {
    this.ended = true;
    this.poke();
  }

  fail(error: unknown): void {
    this.error = error;
    this.poke();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string, void, undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.delivered += item.length;
        yield item;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private poke(): void {
    this.wake?.();
    this.wake = null;
  }
}

/** Cut `text` at the given fractions (0–1), as a model's deltas would be: a random chunking for property tests. */
export function chunks(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, text.length]) {
    if (c > prev) out.push(text.slice(prev, c));
    prev = Math.max(prev, c);
  }
  return out;
}
