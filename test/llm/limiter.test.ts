import { describe, expect, it } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { RateLimiter } from '../../src/llm/limiter.js';
import { deferred, manualClock, settle } from './clock.js';

/** Most requests started inside any window of `windowMs` (two pointers over sorted start times). */
function maxInWindow(starts: number[], windowMs: number, weights?: number[]): number {
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    sum += weights ? weights[hi]! : 1;
    while (starts[hi]! - starts[lo]! >= windowMs) sum -= weights ? weights[lo++]! : (lo++, 1);
    best = Math.max(best, sum);
  }
  return best;
}

describe('RateLimiter', () => {
  it('never runs more than `concurrency` jobs at once, and runs them all', async () => {
    const limiter = new RateLimiter({ concurrency: 3, rpm: 0, tpm: 0 });
    let running = 0;
    let maxRunning = 0;
    const gates = Array.from({ length: 20 }, () => deferred());
    const jobs = gates.map((gate, i) =>
      limiter.schedule(1, async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await settle();
    expect(limiter.stats).toMatchObject({ inFlight: 3, queued: 17 });
    // Finish them out of order: a freed slot goes to the next in line whichever job ends.
    for (const i of [2, 0, 1, ...Array.from({ length: 17 }, (_, k) => k + 3)]) {
      gates[i]!.resolve();
      await settle();
    }
    expect(await Promise.all(jobs)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(maxRunning).toBe(3);
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('holds 30k jobs to the RPM bound after a burst of at most one second, without slowing down', async () => {
    const clock = manualClock();
    const rpm = 6000;
    const limiter = new RateLimiter({ concurrency: 1000, rpm, tpm: 0, now: clock.now, sleep: clock.sleep });
    const starts: number[] = [];
    const jobs = Array.from({ length: 30_000 }, () =>
      limiter.schedule(1, async () => {
        starts.push(clock.now());
      }),
    );
    for (let s = 0; s < 300 && starts.length < jobs.length; s++) await clock.advance(1000);
    await Promise.all(jobs);
    expect(starts).toHaveLength(30_000);
    // A full bucket is one second's allowance (100), then exactly 100 per second.
    expect(starts.filter((t) => t === 0)).toHaveLength(100);
    expect(maxInWindow(starts, 60_000)).toBeLessThanOrEqual(rpm + rpm / 60);
    expect(starts.at(-1)).toBeGreaterThanOrEqual(299_000 - 1);
    expect(starts.at(-1)).toBeLessThanOrEqual(300_000);
    // That the queue is not scanned per tick (cost linear in jobs) is a speed goal: bench/limiter.bench.ts.
  });

  it('holds the TPM bound, even for requests heavier than the bucket', async () => {
    const clock = manualClock();
    const tpm = 6000; // 100 tokens a second, a bucket of 100
    const limiter = new RateLimiter({ concurrency: 50, rpm: 0, tpm, now: clock.now, sleep: clock.sleep });
    const starts: number[] = [];
    const weights = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 250 : 40));
    const jobs = weights.map((w) => limiter.schedule(w, async () => void starts.push(clock.now())));
    for (let s = 0; s < 200 && starts.length < jobs.length; s++) await clock.advance(1000);
    await Promise.all(jobs);
    expect(starts).toHaveLength(60);
    expect(maxInWindow(starts, 60_000, weights)).toBeLessThanOrEqual(tpm + 250);
    // And it is not needlessly slow: 60 jobs, 6200 tokens at 100 a second ≈ 61 s.
    expect(starts.at(-1)).toBeLessThanOrEqual(65_000);
  });

  it('adjust() refunds an overestimate so the next request goes sooner', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ concurrency: 10, rpm: 0, tpm: 6000, now: clock.now, sleep: clock.sleep });
    await limiter.schedule(600, async () => {});
    limiter.adjust(600, 100); // bucket: 100 - 600 + 500 = 0
    let startedAt: number | undefined;
    const next = limiter.schedule(600, async () => void (startedAt = clock.now()));
    await clock.advance(999);
    expect(startedAt).toBeUndefined();
    await clock.advance(1);
    await next;
    expect(startedAt).toBe(1000); // without the refund: 6000
  });

  it('pauseFor() holds every queued and new caller; jobs in flight carry on', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ concurrency: 10, rpm: 0, tpm: 0, now: clock.now, sleep: clock.sleep });
    const inFlight = deferred();
    const first = limiter.schedule(1, () => inFlight.promise);
    await settle();
    limiter.pauseFor(5000);
    const started: string[] = [];
    const b = limiter.schedule(1, async () => void started.push('b'));
    await clock.advance(2000);
    const c = limiter.schedule(1, async () => void started.push('c'));
    inFlight.resolve();
    await first;
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 2, pausedForMs: 3000 });
    await clock.advance(2999);
    expect(started).toEqual([]);
    await clock.advance(1);
    await Promise.all([b, c]);
    expect(started).toEqual(['b', 'c']);
    expect(limiter.stats.pausedForMs).toBe(0);
  });

  it('abort while queued rejects at once with deadline_exceeded and takes nothing', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ concurrency: 1, rpm: 0, tpm: 0, now: clock.now, sleep: clock.sleep });
    const gate = deferred();
    const holder = limiter.schedule(1, () => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const queued = limiter.schedule(1, async () => void (ran = true), controller.signal);
    const after = limiter.schedule(1, async () => 'after');
    await settle();
    expect(limiter.stats).toMatchObject({ inFlight: 1, queued: 2 });
    controller.abort();
    const error = await queued.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestyleError);
    expect((error as RestyleError).code).toBe('deadline_exceeded');
    expect(limiter.stats).toMatchObject({ inFlight: 1, queued: 1 });
    gate.resolve();
    await holder;
    expect(await after).toBe('after');
    expect(ran).toBe(false);
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('an already-aborted signal rejects without queueing', async () => {
    const limiter = new RateLimiter({ concurrency: 1, rpm: 0, tpm: 0 });
    await expect(limiter.schedule(1, async () => 1, AbortSignal.abort())).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('aborting the head that waits for tokens lets the next one through, and leaves no timer when idle', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ concurrency: 10, rpm: 60, tpm: 0, now: clock.now, sleep: clock.sleep });
    await limiter.schedule(1, async () => {}); // empties the 1-request bucket
    const controller = new AbortController();
    const head = limiter.schedule(1, async () => 'head', controller.signal);
    await settle();
    expect(clock.pending()).toBe(1); // one timer, armed for the head
    controller.abort();
    await expect(head).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(clock.pending()).toBe(0);
    const next = limiter.schedule(1, async () => clock.now());
    await clock.advance(1000);
    expect(await next).toBe(1000);
    expect(clock.pending()).toBe(0);
  });

  it('a job that throws frees its slot', async () => {
    const limiter = new RateLimiter({ concurrency: 1, rpm: 0, tpm: 0 });
    await expect(limiter.schedule(1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      limiter.schedule(1, () => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(await limiter.schedule(1, async () => 'ok')).toBe('ok');
    expect(limiter.stats.inFlight).toBe(0);
  });

  it('acquire() holds a slot until released; releasing twice frees it once', async () => {
    const limiter = new RateLimiter({ concurrency: 1, rpm: 0, tpm: 0 });
    const release = await limiter.acquire(1);
    let second = false;
    const next = limiter.acquire(1).then((r) => {
      second = true;
      return r;
    });
    await settle();
    expect(second).toBe(false);
    release();
    release();
    (await next)();
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
