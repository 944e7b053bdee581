import { setFlagsFromString } from 'node:v8';

/**
 * Ask V8 to grow the heap in smaller steps. A corpus build holds little live data (blocks are spooled to
 * disk) but allocates fast at hundreds of requests a second; V8's default heuristics then let the heap grow
 * to several times the live size. Measured here on 10,000 blocks (bench/corpus-worker.ts, same machine and
 * run): no flag 303 MB peak RSS; `--optimize-for-size` 169 MB but 1.4× the CPU (it also trades code speed
 * for size); `--heap-growing-percent=30` 229 MB at 0.95× the no-flag CPU. Later (issue 18, two runs each
 * on a busy machine, 10,000 blocks): 30% cost 9.75 and 10.62 s of CPU at 229 and 225 MB, 100% 9.28 and
 * 9.77 s at 245 and 241 MB (a full collection every doubling instead of every 30% of the live heap; the
 * promoted garbage of requests in flight fills it quickly); 30,000 blocks at 100%: 240 MB. Takes effect
 * from the next collection on.
 */
export function preferSmallHeap(): void {
  heapGrowth('small');
}

/**
 * `small`: 30% steps, for phases that hold much (planning; writing, when the tokenizer's tables load);
 * `double`: 100% steps, while requests are in flight. Peak RSS at 30,000 blocks in `npm run bench -- corpus`
 * (busy machine): 30% throughout 221 and 234 MB; 100% throughout 257 and 280 MB; per phase 257 and 273 MB.
 */
export function heapGrowth(step: 'small' | 'double'): void {
  setFlagsFromString(`--heap-growing-percent=${step === 'small' ? 30 : 100}`);
}
