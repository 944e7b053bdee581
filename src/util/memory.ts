import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection, for long batch jobs that promise a memory ceiling. V8 sizes its heap by
 * allocation rate, not by live data, so a 30k-request run grows to several hundred MB of mostly dead
 * objects unless it is told to collect now and then. No-op where the runtime refuses.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
