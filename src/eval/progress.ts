import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';

export interface EvalProgress {
  update(done: number): void;
  stop(): void;
}

/**
 * `restyle eval`'s progress: a bar (cli-progress) redrawn in place when stderr is a terminal; otherwise one
 * line at every 10%, so CI logs show the run moving without a line per request.
 */
export function createEvalProgress(stream: Writable & { isTTY?: boolean }, total: number): EvalProgress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: stream as NodeJS.WritableStream, format: 'eval [{bar}] {value}/{total} requests · ETA {eta_formatted}', barsize: 24, hideCursor: true, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let lastTenth = 0;
  return {
    update(done) {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (tenth === lastTenth && done !== total) return;
      if (done === total && lastTenth === 10) return;
      lastTenth = tenth;
      stream.write(`eval: ${done}/${total}\n`);
    },
    stop() {},
  };
}
