/**
 * A manual clock for the rate limiter: `now()` and `sleep()` to inject, `advance()` to move time. No
 * real time passes; `settle()` lets promise callbacks run (one macrotask turn, not a timed sleep).
 */
export interface ManualClock {
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Move time forward, firing due sleeps in order and settling after each. */
  advance(ms: number): Promise<void>;
  /** Sleeps still pending (an idle limiter must leave none). */
  pending(): number;
}

interface Timer {
  at: number;
  resolve: () => void;
}

export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function manualClock(start = 0): ManualClock {
  let t = start;
  const timers = new Set<Timer>();
  return {
    now: () => t,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        const timer: Timer = { at: t + ms, resolve };
        timers.add(timer);
        signal.addEventListener(
          'abort',
          () => {
            timers.delete(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const end = t + ms;
      await settle();
      for (;;) {
        let next: Timer | undefined;
        for (const timer of timers) if (timer.at <= end && (!next || timer.at < next.at)) next = timer;
        if (!next) break;
        timers.delete(next);
        t = Math.max(t, next.at);
        next.resolve();
        await settle();
      }
      t = end;
      await settle();
    },
    pending: () => timers.size,
  };
}

/** A promise with its resolve/reject outside, to finish jobs exactly when a test says so. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
