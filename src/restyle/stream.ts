/**
 * Streaming through the filter: text deltas in, finished segments out, in order, while the rest of the
 * text is still arriving. The cut points are the splitter's own (`splitBlocks`), so a streamed answer is
 * cut exactly where the whole answer would be.
 */
import type { Segment } from './blocks.js';
import { TailShape } from './tail-shape.js';

/**
 * Collects deltas and hands out the segments that can no longer change. A segment of the text so far is
 * final once a later non-space segment exists after it in the complete lines: the splitter decides block
 * by block, greedily, and the next group has already been refused (a full block, a heading, a code fence,
 * or too many characters — none of which more text can undo). The unfinished last line is never looked at
 * (it may still become a fence or a heading).
 *
 * `split` must be `splitBlocks` (with any options): while the held text is provably one segment for it
 * (./tail-shape.ts) the cutter does not split again, so a fence or list streamed one line per delta costs
 * linear work, not a re-split of everything held on every delta. Only the text not handed out is kept.
 *
 * `maxPending` bounds what is held: when the text not handed out is still past it after the usual release
 * (a fence never closed, a list that never ends), all of it is handed out as it splits now, and cutting
 * starts afresh after it. A whole answer in one delta is cut just as without the bound.
 */
export class BlockCutter {
  private received = 0;
  /** Complete lines not handed out yet, as they came (joined only when the splitter must look). */
  private settled: string[] = [];
  private settledLength = 0;
  /** The unfinished last line. */
  private partial = '';
  private shape = new TailShape();

  constructor(
    private readonly split: (text: string) => Segment[],
    private readonly maxPending = Infinity,
  ) {}

  /** Characters received so far. */
  get length(): number {
    return this.received;
  }

  /** Add a delta; returns the segments it completed (often none). */
  push(delta: string): Segment[] {
    this.received += delta.length;
    const nl = delta.lastIndexOf('\n');
    let out: Segment[] = [];
    if (nl === -1) this.partial += delta;
    else {
      const complete = this.partial + delta.slice(0, nl + 1);
      this.partial = delta.slice(nl + 1);
      this.settled.push(complete);
      this.settledLength += complete.length;
      this.shape.feed(complete);
      if (!this.shape.single) out = this.release();
    }
    // Still holding too much after the usual release (one piece that has not ended): hand it all out.
    return this.overflowing() ? [...out, ...this.end()] : out;
  }

  /** The stream ended: everything not handed out yet. */
  end(): Segment[] {
    const tail = this.settled.join('') + this.partial;
    this.reset('');
    this.partial = '';
    return tail === '' ? [] : this.split(tail);
  }

  private overflowing(): boolean {
    return this.settledLength + this.partial.length > this.maxPending;
  }

  /** Split the complete lines held; hand out every segment before the last non-space one. */
  private release(): Segment[] {
    const settled = this.settled.join('');
    const segments = this.split(settled);
    let last = segments.length - 1;
    while (last >= 0 && segments[last]!.kind === 'space') last -= 1;
    if (last <= 0) {
      this.settled = [settled];
      return [];
    }
    const final = segments.slice(0, last);
    let taken = 0;
    for (const s of final) taken += s.text.length;
    this.reset(settled.slice(taken));
    return final;
  }

  /** Hold `settled` (complete lines) from a segment's start: its shape is read afresh. */
  private reset(settled: string): void {
    this.settled = settled === '' ? [] : [settled];
    this.settledLength = settled.length;
    this.shape = new TailShape();
    this.shape.feed(settled);
  }
}

export interface OrderedOptions<B> {
  split: (text: string) => Segment[];
  /** Called as soon as a segment is final (styling starts then); its promise is released in order. */
  start: (segment: Segment, index: number) => Promise<B>;
  /** For the rest of the text when the input failed mid-stream: released as it is, never styled. */
  cut: (segment: Segment, index: number) => B;
  /** Stop reading the input (the consumer went away, or the caller cancelled): ends like an input error. */
  signal?: AbortSignal;
  /** The most text held unreleased (see BlockCutter); past it, what is held is handed out as it splits. */
  maxPending?: number;
}

/** What the input did: ended normally, or failed after `received` characters. */
export interface InputOutcome {
  error?: unknown;
  received: number;
}

/**
 * Read `deltas`, start each segment as soon as it is final, and yield the results in order. Returns how
 * the input ended. An input error does not throw: what arrived is released (the unfinished rest through
 * `cut`) and the error is returned, so the caller can say the answer was cut short.
 */
export async function* releaseInOrder<B>(deltas: AsyncIterable<string>, options: OrderedOptions<B>): AsyncGenerator<B, InputOutcome, undefined> {
  const cutter = new BlockCutter(options.split, options.maxPending);
  const results: Array<Promise<B>> = [];
  let finished = false;
  let error: unknown;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const add = (segments: Segment[], cut: boolean): void => {
    for (const s of segments) {
      const index = results.length;
      const p = cut ? Promise.resolve(options.cut(s, index)) : options.start(s, index);
      // Rejections are seen when the consumer reaches them; until then they are not "unhandled".
      p.catch(() => undefined);
      results.push(p);
    }
    if (segments.length > 0) notify();
  };
  const reader = (async (): Promise<void> => {
    const iterator = deltas[Symbol.asyncIterator]();
    // An input that ignores the signal must not keep the stream open: stop waiting for it on abort.
    let onAbort = (): void => undefined;
    const stopped = new Promise<'stop'>((resolve) => {
      onAbort = () => resolve('stop');
      if (options.signal?.aborted) resolve('stop');
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next === 'stop') {
          void Promise.resolve(iterator.return?.()).catch(() => undefined);
          throw options.signal?.reason ?? new Error('stream aborted');
        }
        if (next.done) break;
        add(cutter.push(next.value), false);
      }
      add(cutter.end(), false);
    } catch (thrown) {
      error = thrown;
      add(cutter.end(), true);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      finished = true;
      notify();
    }
  })();
  let next = 0;
  while (next < results.length || !finished) {
    if (next < results.length) {
      yield await results[next++]!;
      continue;
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
  await reader;
  return error === undefined ? { received: cutter.length } : { error, received: cutter.length };
}

/** One string as a stream of one delta: the whole-answer path is the streamed path fed once. */
export async function* once(text: string): AsyncGenerator<string, void, undefined> {
  yield text;
}
