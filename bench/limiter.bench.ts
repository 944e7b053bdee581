/**
 * The rate limiter's cost per job must not grow with the queue (no per-tick scan): 30,000 queued jobs on a
 * manual clock (test/llm/clock.ts, no real waiting) against 3,000 in the same run. Linear cost is 10×; a
 * per-tick scan of the queue would be ~100×.
 */
import { RateLimiter } from '../src/llm/limiter.js';
import { manualClock } from '../test/llm/clock.js';
import { median, type BenchResult } from './types.js';

async function drain(jobs: number): Promise<number> {
  const clock = manualClock();
  const rpm = 6000;
  const limiter = new RateLimiter({ concurrency: 1000, rpm, tpm: 0, now: clock.now, sleep: clock.sleep });
  let started = 0;
  const t0 = performance.now();
  const all = Array.from({ length: jobs }, () => limiter.schedule(1, async () => void started++));
  const seconds = Math.ceil(jobs / (rpm / 60)) + 1;
  for (let s = 0; s < seconds && started < jobs; s++) await clock.advance(1000);
  await Promise.all(all);
  return performance.now() - t0;
}

export default async function bench(): Promise<BenchResult[]> {
  await drain(3_000); // warm up the JIT
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < 3; i++) {
    small.push(await drain(3_000));
    large.push(await drain(30_000));
  }
  const ratio = median(large) / median(small);
  return [
    {
      name: '30,000 queued jobs vs 3,000 (real time, manual clock)',
      value: ratio,
      unit: '×',
      goal: '≤20× (linear is 10×)',
      ok: ratio <= 20,
      note: `median ${Math.round(median(large))} ms vs ${Math.round(median(small))} ms`,
    },
  ];
}
