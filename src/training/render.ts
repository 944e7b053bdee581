import type { Writable } from 'node:stream';
import { recommendCheckpoint, type Finding } from './analysis.js';
import { lossChartText } from './chart-text.js';
import { progressLine } from './progress.js';
import type { JobRecord } from './types.js';
import type { WatchUpdate } from './watch.js';

const loss = (n: number | undefined): string => (n === undefined ? '–' : n < 0.01 ? n.toPrecision(2) : n.toFixed(4));

/**
 * Prints a watch as it goes. On a terminal: one progress line redrawn in place, event messages above it.
 * Elsewhere (CI logs, pipes): event messages, and a progress line each time another tenth of the steps is
 * done or the status changes — readable in a log, not one line per poll.
 */
export function watchPrinter(out: Writable & { isTTY?: boolean }): { update(u: WatchUpdate): void; end(): void } {
  const tty = Boolean(out.isTTY);
  let status = '';
  let lastTenth = -1;
  let drawn = false;
  return {
    update({ job, events }) {
      const messages = events.filter((e) => e.type !== 'metrics').map((e) => e.message);
      if (tty) {
        if (drawn) out.write('\r\x1b[2K');
        for (const m of messages) out.write(`  ${m}\n`);
        out.write(progressLine(job));
        drawn = true;
        return;
      }
      for (const m of messages) out.write(`  ${m}\n`);
      const step = job.metrics.at(-1)?.step ?? 0;
      const tenth = job.totalSteps ? Math.floor((10 * step) / job.totalSteps) : step > 0 ? Math.floor(Math.log2(step)) : -1;
      if (job.status !== status || tenth !== lastTenth) {
        out.write(`${progressLine(job)}\n`);
        status = job.status;
        lastTenth = tenth;
      }
    },
    end() {
      if (tty && drawn) out.write('\n');
      drawn = false;
    },
  };
}

/** The summary after a job ends (or for `train status JOB`): curves, checkpoints, what to do. */
export function jobReport(job: JobRecord, findings: readonly Finding[], svg: string | null): string[] {
  const lines: string[] = [];
  if (job.metrics.length > 0) {
    lines.push('', ...lossChartText(job.metrics, { checkpoints: job.checkpoints }), '');
  }
  if (job.checkpoints.length > 0) lines.push(...checkpointTable(job));
  for (const f of findings) lines.push(`warning: ${f.message}`);
  if (svg) lines.push(`loss curves: ${svg}`);
  return lines;
}

export function checkpointTable(job: JobRecord): string[] {
  const best = recommendCheckpoint(job.checkpoints);
  const lines = ['checkpoints:', '    step  train    valid    full valid  model'];
  for (const c of job.checkpoints) {
    const mark = best?.checkpoint.id === c.id ? '★' : ' ';
    lines.push(`  ${mark} ${String(c.step).padStart(4)}  ${loss(c.trainLoss).padEnd(7)}  ${loss(c.validLoss).padEnd(7)}  ${loss(c.fullValidLoss).padEnd(10)}  ${c.model}`);
  }
  if (best) {
    const final = job.fineTunedModel;
    const isFinal = best.checkpoint.step === Math.max(...job.checkpoints.map((c) => c.step));
    lines.push(`recommended: step ${best.checkpoint.step} (lowest ${best.by}, ${loss(best.loss)})${isFinal && final ? ` = the final model ${final}` : ''}`);
    if (!isFinal && job.style) {
      lines.push(`  use it: restyle models add ${job.style}${job.role === 'destyler' ? ' --destyler' : ''} --model ${best.checkpoint.model}`);
    }
  }
  return lines;
}
