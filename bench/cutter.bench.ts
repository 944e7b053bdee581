/**
 * BlockCutter under a styled stream that sends a code fence (or a list) one line per delta: the CPU per
 * line at 12,000 lines ÷ the CPU per line at 1,000 lines, same run. Linear work keeps this near 1× (1.200×
 * and 1.007× in a run on Node 20.20.2); the cutter that re-split everything held on every delta gave 22.9×
 * and 17.4× in the same kind of run (its work grew with the square of the lines).
 */
import { splitBlocks } from '../src/restyle/blocks.js';
import { BlockCutter } from '../src/restyle/stream.js';
import { median, type BenchResult } from './types.js';

const SHAPES: Record<string, (i: number) => string> = {
  'unclosed code fence': (i) => `const line${i} = compute(${i}); // one line per delta\n`,
  'list of "- item" lines': (i) => `- item ${i} of the list that keeps going\n`,
};

/** CPU microseconds per line to stream `n` lines of `line` through a cutter (median of `runs`). */
function perLine(n: number, line: (i: number) => string, first: string, runs = 5): number {
  const deltas = [first, ...Array.from({ length: n }, (_, i) => line(i))];
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const cutter = new BlockCutter((t) => splitBlocks(t));
    const t0 = process.cpuUsage();
    for (const d of deltas) cutter.push(d);
    cutter.end();
    const used = process.cpuUsage(t0);
    times.push((used.user + used.system) / n);
  }
  return median(times);
}

export default async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const [name, line] of Object.entries(SHAPES)) {
    const first = name.includes('fence') ? '```ts\n' : '';
    perLine(2000, line, first, 2); // warm up
    const small = perLine(1000, line, first);
    const large = perLine(12_000, line, first);
    const ratio = large / small;
    out.push({ name: `${name}: CPU per line at 12,000 lines ÷ at 1,000`, value: ratio, unit: '×', goal: '≤3×', ok: ratio <= 3, note: `${small.toFixed(2)} µs vs ${large.toFixed(2)} µs a line` });
  }
  return out;
}
