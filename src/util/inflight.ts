/**
 * Work the adapter has accepted and not finished (events are acked before they are handled), so `stop()`
 * can drain it and tests can wait for "everything settled" without sleeping.
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await fn();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
