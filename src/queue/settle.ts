import type { JobOutcome, JobQueue } from './types.js';

export interface SettleOptions {
  /** How often to look at the job's outcome (another process may run it). */
  pollMs?: number;
  /**
   * Outcomes known in this process before the queue records the job as settled (the job saved its answer
   * and goes on with bookkeeping): subscribe `listener` for `id`, return the unsubscribe.
   */
  known?: (id: string, listener: (outcome: JobOutcome) => void) => () => void;
}

/**
 * Wait until job `id` is done or failed, at most `waitMs`: woken at once when this process settles it (or
 * `known` tells its outcome), polling otherwise (another process may run it). Resolves `pending` at the
 * deadline; never rejects.
 */
export function settled(queue: JobQueue, id: string, waitMs: number, options: SettleOptions = {}): Promise<JobOutcome> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome: JobOutcome): void => {
      if (finished) return;
      finished = true;
      off();
      offKnown();
      clearInterval(poll);
      clearTimeout(timer);
      resolve(outcome);
    };
    const check = async (): Promise<void> => {
      const outcome = await queue.outcome(id).catch(() => undefined);
      if (outcome && (outcome.status === 'done' || outcome.status === 'failed')) finish(outcome);
    };
    const off = queue.onSettled((settledId) => {
      if (settledId === id) void check();
    });
    const offKnown = options.known?.(id, finish) ?? (() => {});
    const poll = setInterval(() => void check(), options.pollMs ?? 250);
    const timer = setTimeout(() => finish({ status: 'pending', state: {} }), waitMs);
    void check();
  });
}
