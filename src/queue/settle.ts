import type { JobOutcome, JobQueue } from './types.js';

/**
 * Wait until job `id` is done or failed, at most `waitMs`: woken at once when this process settles it,
 * polling otherwise (another process may run it). Resolves `pending` at the deadline; never rejects.
 */
export function settled(queue: JobQueue, id: string, waitMs: number, pollMs = 250): Promise<JobOutcome> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome: JobOutcome): void => {
      if (finished) return;
      finished = true;
      off();
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
    const poll = setInterval(() => void check(), pollMs);
    const timer = setTimeout(() => finish({ status: 'pending', state: {} }), waitMs);
    void check();
  });
}
