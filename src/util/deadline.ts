/**
 * A timeout signal that survives garbage collection, optionally tied to a caller's signal.
 *
 * Why not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 the combined signal holds its
 * sources only weakly, so after a GC the timeout signal can be collected before it fires and the combined
 * signal never aborts (nodejs/node#57736). Here a real `setTimeout` holds the controller until it fires or
 * `clear()` runs, and the caller's signal reaches it through one shared listener (see `follow`).
 */

/** The longest delay `setTimeout` honours; a longer one fires after 1 ms (Node's TimeoutOverflowWarning). */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface Deadline {
  /** Aborts when `ms` pass (reason: a `TimeoutError` DOMException, like `AbortSignal.timeout`) or the parent aborts (its reason). */
  readonly signal: AbortSignal;
  /** True when this deadline's own timer fired (not the parent's abort). */
  readonly timedOut: boolean;
  /** The work is over: stop the timer and stop following the parent. Safe to call more than once. */
  clear(): void;
}

/** A deadline `ms` from now (`Infinity`: none), aborting early when `parent` aborts. Call `clear()` when the work ends. */
export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unfollow = (): void => undefined;
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    unfollow();
  };
  if (parent?.aborted) controller.abort(parent.reason);
  else {
    if (parent) unfollow = follow(parent, controller);
    // Aborted by the parent first: the timer has nothing left to do (and must not report a timeout).
    controller.signal.addEventListener('abort', () => clear(), { once: true });
    if (Number.isFinite(ms)) {
      timer = setTimeout(() => {
        timedOut = true;
        clear();
        controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, Math.min(MAX_DELAY_MS, Math.max(0, ms)));
      // Like AbortSignal.timeout: a pending deadline alone does not keep the process alive.
      timer.unref?.();
    }
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear,
  };
}

/**
 * One listener per parent signal, fanning out to the live children: a long-lived parent (a whole answer's
 * signal) with many blocks in flight would otherwise collect a listener per block and trip Node's
 * "possible EventTarget memory leak" warning. The listener holds the children strongly until they unfollow.
 */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

function follow(parent: AbortSignal, child: AbortController): () => void {
  let children = followers.get(parent);
  if (!children) {
    const set = new Set<AbortController>();
    children = set;
    followers.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        followers.delete(parent);
        for (const c of set) c.abort(parent.reason);
        set.clear();
      },
      { once: true },
    );
  }
  children.add(child);
  const set = children;
  return () => {
    set.delete(child);
  };
}
