import type { CheckpointInfo, MetricPoint } from './types.js';

export interface TextChartOptions {
  width?: number;
  height?: number;
  checkpoints?: readonly CheckpointInfo[];
}

/**
 * The loss curves drawn with characters for the terminal: `·` training loss, `•` validation loss, `◆` full
 * validation loss at checkpoints; columns average the steps they cover. Returns the lines to print.
 */
export function lossChartText(points: readonly MetricPoint[], options: TextChartOptions = {}): string[] {
  const width = options.width ?? 60;
  const height = options.height ?? 12;
  const full = (options.checkpoints ?? []).filter((c) => c.fullValidLoss !== undefined).map((c) => ({ step: c.step, v: c.fullValidLoss! }));
  const fullPts = full.length ? full : points.filter((p) => p.fullValidLoss !== undefined).map((p) => ({ step: p.step, v: p.fullValidLoss! }));
  const series = {
    train: points.filter((p) => p.trainLoss !== undefined).map((p) => ({ step: p.step, v: p.trainLoss! })),
    valid: points.filter((p) => p.validLoss !== undefined).map((p) => ({ step: p.step, v: p.validLoss! })),
  };
  const all = [...series.train, ...series.valid, ...fullPts];
  if (all.length === 0) return ['(no loss metrics yet)'];
  const xMin = Math.min(...all.map((p) => p.step));
  const xMax = Math.max(...all.map((p) => p.step));
  const yMin = Math.min(...all.map((p) => p.v));
  const yMax = Math.max(...all.map((p) => p.v));
  const ySpan = yMax - yMin || Math.max(yMax, 1e-9);
  const col = (step: number): number => (xMax === xMin ? 0 : Math.round(((step - xMin) / (xMax - xMin)) * (width - 1)));
  const row = (v: number): number => height - 1 - Math.round(((v - (yMax === yMin ? yMin - ySpan / 2 : yMin)) / ySpan) * (height - 1));
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  const plot = (pts: Array<{ step: number; v: number }>, mark: string): void => {
    const buckets = new Map<number, number[]>();
    for (const p of pts) {
      const c = col(p.step);
      const list = buckets.get(c);
      if (list) list.push(p.v);
      else buckets.set(c, [p.v]);
    }
    for (const [c, vs] of buckets) {
      const r = Math.min(height - 1, Math.max(0, row(vs.reduce((a, b) => a + b, 0) / vs.length)));
      grid[r]![c] = mark;
    }
  };
  plot(series.train, '·');
  plot(series.valid, '•');
  plot(fullPts, '◆');
  const label = (v: number): string => (v < 0.01 ? v.toPrecision(2) : v.toFixed(3)).padStart(7);
  const lines = grid.map((cells, i) => {
    const v = yMax - (i / (height - 1)) * (yMax - yMin);
    const tick = i === 0 || i === height - 1 || i === Math.floor((height - 1) / 2);
    return `${tick ? label(v) : ' '.repeat(7)} ┤${cells.join('')}`;
  });
  lines.push(`${' '.repeat(7)} └${'─'.repeat(width)}`);
  const left = `step ${xMin}`;
  const right = `${xMax}`;
  lines.push(`${' '.repeat(9)}${left}${' '.repeat(Math.max(1, width - left.length - right.length))}${right}`);
  const legend = ['· training loss', series.valid.length ? '• validation loss' : '', fullPts.length ? '◆ full validation loss' : ''].filter(Boolean).join('   ');
  lines.push(`${' '.repeat(9)}${legend}`);
  return lines;
}
