import { createReadStream, rmSync } from 'node:fs';
import { AtomicJsonl } from './write.js';

/** One block to turn into a pair, as planned before any request is made. */
export interface PlannedBlock {
  /** Position in the corpus (0-based, after de-duplication): the order of every output file. */
  seq: number;
  /** Index of the source document in the plan's document list. */
  doc: number;
  /** Block number within its document (before de-duplication, so it is stable provenance). */
  index: number;
  ref?: string;
  /** Who wrote the block (platform-qualified), when the source said. */
  author?: string;
  /** The author's display name, when the source said. */
  authorName?: string;
  /** When it was written (ISO 8601), when the source said. */
  at?: string;
  styled: string;
  /** An approved neutral side: no editor call. */
  neutral?: string;
  params?: Record<string, string>;
}

/**
 * The planned blocks, spooled to a file in the output's cache folder instead of held in memory: the
 * de-styling pass and the writing pass each stream it once, so a 30k-block corpus costs no more RAM than
 * a 1k one.
 */
export class Spool {
  private readonly out: AtomicJsonl;
  count = 0;

  constructor(readonly path: string) {
    this.out = new AtomicJsonl(path);
  }

  add(block: Omit<PlannedBlock, 'seq'>): PlannedBlock {
    const b: PlannedBlock = { seq: this.count++, ...block };
    this.out.write(b);
    return b;
  }

  /** Finish writing; the spool can then be read any number of times. */
  seal(): void {
    this.out.commit();
  }

  /** Forget a spool that was never sealed. */
  abort(): void {
    this.out.abort();
  }

  async *read(): AsyncGenerator<PlannedBlock> {
    // Big chunks split on newlines (JSON.stringify leaves none inside a line): a 30k-block spool costs a few
    // reads, not a readline event and its promises per line.
    let carry = '';
    for await (const chunk of createReadStream(this.path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        if (nl > start) yield JSON.parse(text.slice(start, nl)) as PlannedBlock;
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry) yield JSON.parse(carry) as PlannedBlock;
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
