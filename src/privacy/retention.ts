import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { purgeStoreBefore, type StoreForgetResult } from './store.js';

const DAY_MS = 24 * 3600 * 1000;

/** The start of the retention window: what was written before it goes. */
export function retentionCutoff(days: number, now: Date = new Date()): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Delete samples and verdicts older than `days` now. */
export function sweepRetention(store: Store, days: number, now: Date = new Date()): Promise<StoreForgetResult> {
  return purgeStoreBefore(store, retentionCutoff(days, now));
}

/**
 * `privacy.retentionDays` in a long-running bot: sweep at start and every `intervalMs` (6 h). A failed sweep
 * (store down) is logged and retried at the next tick; nothing else depends on it.
 */
export function startRetention(store: Store, days: number, options: { logger?: Logger; intervalMs?: number; now?: () => Date } = {}): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const done = await sweepRetention(store, days, options.now?.() ?? new Date());
      if (done.samples + done.feedback > 0) options.logger?.info({ ...done, retentionDays: days }, 'retention: deleted samples and feedback past the retention window');
    } catch (error) {
      options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'retention: sweep failed; will retry');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 6 * 3600 * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
