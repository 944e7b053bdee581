import type { LimiterStats } from '../llm/limiter.js';

/**
 * Whether an answer's model calls can finish within its deadline, judged before any is queued: calls
 * already admitted to the endpoint (the filter's own, counted at admission so a burst of answers sees
 * each other, or the limiter's queue if longer) plus this answer's, in waves of the endpoint's
 * concurrency, each as long as the recent average call. An answer that cannot make it fails open at
 * once instead of waiting in the queue until its deadline (and making those behind it wait too).
 */
const HEADROOM = 0.8;

export class LoadEstimator {
  private readonly pending = new Map<string, number>();
  private readonly averageMs = new Map<string, number>();

  /** Record the duration of a model call that went out (cache hits excluded). */
  observe(endpoint: string, ms: number): void {
    const prev = this.averageMs.get(endpoint);
    // An exponential moving average: recent calls count most, one outlier does not swing it.
    this.averageMs.set(endpoint, prev === undefined ? ms : prev * 0.8 + ms * 0.2);
  }

  /**
   * Admit `calls` to `endpoint` if they can finish within `budgetMs`: returns a release to call as each
   * call finishes (or all at once with the count), or the estimate in ms when they cannot.
   */
  admit(endpoint: string, calls: number, budgetMs: number, stats: (LimiterStats & { concurrency: number }) | undefined): { ok: true; done: (n?: number) => void } | { ok: false; estimateMs: number } {
    const average = this.averageMs.get(endpoint);
    const mine = this.pending.get(endpoint) ?? 0;
    if (average !== undefined && stats && calls > 0) {
      const ahead = Math.max(mine, stats.inFlight + stats.queued);
      const slots = Math.max(1, Math.min(stats.concurrency, 1e6));
      const estimateMs = stats.pausedForMs + Math.ceil((ahead + calls) / slots) * average;
      // A fifth of the budget is kept for the slow tail: an estimate is an average, not a promise.
      if (estimateMs > budgetMs * HEADROOM) return { ok: false, estimateMs };
    }
    this.pending.set(endpoint, mine + calls);
    let left = calls;
    return {
      ok: true,
      done: (n = left) => {
        const k = Math.min(n, left);
        left -= k;
        const now = (this.pending.get(endpoint) ?? 0) - k;
        if (now > 0) this.pending.set(endpoint, now);
        else this.pending.delete(endpoint);
      },
    };
  }
}
