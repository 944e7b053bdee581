import { setFlagsFromString } from 'node:v8';

/**
 * Ask V8 to favour a small heap over fewer collections. A corpus build holds little live data (blocks are
 * spooled to disk) but allocates fast at hundreds of requests a second; V8's default heuristics then let
 * the heap grow to several times the live size. Measured on 10,000 blocks: peak RSS 316 → 174 MB, same
 * throughput (bench/corpus.bench.ts). Takes effect for collections from now on.
 */
export function preferSmallHeap(): void {
  setFlagsFromString('--optimize-for-size');
}
