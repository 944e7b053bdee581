/**
 * A full garbage collection from inside a test, as `node --expose-gc` would allow: some bugs (a timeout
 * signal collected before it fires, nodejs/node#57736) only show after one.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export function collectGarbage(): void {
  gc();
}
