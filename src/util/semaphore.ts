/** At most `limit` holders at once; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= Math.max(1, this.limit)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active += 1;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never drops below what is running.
      const next = this.waiters.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
