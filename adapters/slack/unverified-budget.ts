import type { HttpSettings } from '../../src/config/schema.js';

/** A request's claim on the budget while its body is read and its signature is not yet checked. */
export interface BudgetTicket {
  /** Count `bytes` more against the budget; false when that would pass the byte cap (nothing counted). */
  grow(bytes: number): boolean;
  /** Give back everything this ticket holds (idempotent). */
  release(): void;
}

export type Admission = { ok: true; ticket: BudgetTicket } | { ok: false; reason: string };

/**
 * Caps what unverified Slack requests may hold at once: how many bodies are being read (in all and per
 * remote address) and how many bytes they hold. Anyone can send a body with a made-up signature and a
 * fresh timestamp, and the signature can only be checked once the body is in; without a cap, a thousand
 * of them hold a thousand bodies in memory.
 */
export class UnverifiedBudget {
  private count = 0;
  private bytes = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: Pick<HttpSettings['slack'], 'maxUnverified' | 'maxUnverifiedPerAddress' | 'maxUnverifiedBytes'>) {}

  /** What is held right now (tests, metrics). */
  held(): { count: number; bytes: number } {
    return { count: this.count, bytes: this.bytes };
  }

  admit(address: string): Admission {
    const mine = this.perAddress.get(address) ?? 0;
    if (this.count >= this.limits.maxUnverified) return { ok: false, reason: `${this.limits.maxUnverified} unverified Slack requests are already being read` };
    if (mine >= this.limits.maxUnverifiedPerAddress) return { ok: false, reason: `${this.limits.maxUnverifiedPerAddress} unverified Slack requests from this address are already being read` };
    if (this.bytes >= this.limits.maxUnverifiedBytes) return { ok: false, reason: `unverified Slack requests already hold ${this.limits.maxUnverifiedBytes} bytes` };
    this.count += 1;
    this.perAddress.set(address, mine + 1);
    let held = 0;
    let released = false;
    return {
      ok: true,
      ticket: {
        grow: (n) => {
          if (released || this.bytes + n > this.limits.maxUnverifiedBytes) return false;
          this.bytes += n;
          held += n;
          return true;
        },
        release: () => {
          if (released) return;
          released = true;
          this.count -= 1;
          this.bytes -= held;
          const left = (this.perAddress.get(address) ?? 1) - 1;
          if (left > 0) this.perAddress.set(address, left);
          else this.perAddress.delete(address);
        },
      },
    };
  }
}
