import { getEventListeners } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline } from '../../src/util/deadline.js';
import { collectGarbage } from '../support/gc.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('deadline', () => {
  it('still fires after a garbage collection, where AbortSignal.any over AbortSignal.timeout does not (Node 20, nodejs/node#57736)', async () => {
    // Only the combined signals are kept, as a caller passing them to fetch or the SDK does.
    const old = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(200)]);
    const fresh = deadline(400, new AbortController().signal).signal;
    // A GC in a later turn (one in the same turn keeps the new objects alive through the stack).
    await nextTurn();
    collectGarbage();
    await vi.waitFor(() => expect(fresh.aborted).toBe(true), { timeout: 15_000, interval: 20 });
    expect(fresh.reason).toBeInstanceOf(DOMException);
    expect((fresh.reason as DOMException).name).toBe('TimeoutError');
    // The old pattern's 200 ms timer expired before this 400 ms one, so it had its chance. The bug is
    // Node 20's (the version this service runs on); a Node with the fix aborts it, so only 20 is asserted.
    if (process.versions.node.startsWith('20.')) expect(old.aborted).toBe(false);
  });

  it('the parent aborting aborts it with the parent reason, and timedOut stays false, also once its time has passed', () => {
    vi.useFakeTimers();
    try {
      const parent = new AbortController();
      const d = deadline(60_000, parent.signal);
      expect(d.signal.aborted).toBe(false);
      parent.abort(new Error('client gone'));
      expect(d.signal.aborted).toBe(true);
      expect((d.signal.reason as Error).message).toBe('client gone');
      expect(d.timedOut).toBe(false);
      // Its own timer went with the abort: no timeout reported later for a call that was cancelled.
      vi.advanceTimersByTime(120_000);
      expect(d.timedOut).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an already aborted parent aborts it at once', () => {
    const parent = new AbortController();
    parent.abort('stop');
    const d = deadline(60_000, parent.signal);
    expect(d.signal.reason).toBe('stop');
  });

  it('times out with a TimeoutError and timedOut true; clear() before then stops it', () => {
    vi.useFakeTimers();
    const fired = deadline(1000);
    const cleared = deadline(1000);
    cleared.clear();
    vi.advanceTimersByTime(999);
    expect(fired.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(fired.timedOut).toBe(true);
    expect((fired.signal.reason as DOMException).name).toBe('TimeoutError');
    vi.advanceTimersByTime(10_000);
    expect(cleared.signal.aborted).toBe(false);
    expect(cleared.timedOut).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a delay beyond what setTimeout can hold waits (is not fired after 1 ms); Infinity never times out', () => {
    vi.useFakeTimers();
    const far = deadline(2 ** 33);
    const never = deadline(Infinity);
    vi.advanceTimersByTime(60_000);
    expect(far.signal.aborted).toBe(false);
    expect(never.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    far.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('many deadlines on one parent add one listener to it (no EventTarget leak warning), and all follow it', () => {
    const parent = new AbortController();
    const many = Array.from({ length: 50 }, () => deadline(60_000, parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    for (const d of many.slice(0, 10)) d.clear();
    parent.abort('done');
    // Cleared ones no longer follow the parent; the rest do.
    expect(many.slice(0, 10).every((d) => !d.signal.aborted)).toBe(true);
    expect(many.slice(10).every((d) => d.signal.reason === 'done')).toBe(true);
    for (const d of many) d.clear();
  });
});
