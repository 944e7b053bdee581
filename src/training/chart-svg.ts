import type { CheckpointInfo, MetricPoint } from './types.js';

export interface SvgChartOptions {
  title?: string;
  width?: number;
  height?: number;
  checkpoints?: readonly CheckpointInfo[];
  /** Step of the recommended checkpoint, marked with a dashed line. */
  recommendedStep?: number;
}

const COLORS = { train: '#2563eb', valid: '#ea580c', full: '#16a34a' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1, 2 or 5 × 10^k: a step of about `span / count`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

function fmtTick(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return v.toFixed(Math.min(decimals, 6));
}

/**
 * The train and validation loss curves as a standalone SVG (no browser or library needed): training loss,
 * sampled validation loss, full validation loss at checkpoints, and the recommended checkpoint.
 */
export function lossChartSvg(points: readonly MetricPoint[], options: SvgChartOptions = {}): string {
  const W = options.width ?? 720;
  const H = options.height ?? 360;
  const m = { left: 60, right: 20, top: options.title ? 36 : 16, bottom: 64 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const train = points.filter((p) => p.trainLoss !== undefined).map((p) => ({ x: p.step, y: p.trainLoss! }));
  const valid = points.filter((p) => p.validLoss !== undefined).map((p) => ({ x: p.step, y: p.validLoss! }));
  const fullSource = (options.checkpoints ?? []).filter((c) => c.fullValidLoss !== undefined).map((c) => ({ x: c.step, y: c.fullValidLoss! }));
  const full = fullSource.length ? fullSource : points.filter((p) => p.fullValidLoss !== undefined).map((p) => ({ x: p.step, y: p.fullValidLoss! }));
  const all = [...train, ...valid, ...full];
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600">${esc(options.title)}</text>`);
  if (all.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#6b7280">no metrics yet</text>`, '</svg>');
    return `${out.join('\n')}\n`;
  }
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x), xMin + 1);
  const yMaxRaw = Math.max(...all.map((p) => p.y));
  const yStep = niceStep(yMaxRaw || 1, 5);
  const yMax = Math.ceil((yMaxRaw || 1) / yStep) * yStep;
  const sx = (x: number): number => m.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number): number => m.top + ph - (y / yMax) * ph;
  const r = (n: number): string => n.toFixed(1);

  // Grid and axes.
  for (let y = 0; y <= yMax + yStep / 2; y += yStep) {
    out.push(`<line x1="${m.left}" y1="${r(sy(y))}" x2="${m.left + pw}" y2="${r(sy(y))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${r(sy(y) + 4)}" text-anchor="end" fill="#374151">${fmtTick(y, yStep)}</text>`);
  }
  const xStep = niceStep(xMax - xMin, 6);
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax; x += xStep) {
    out.push(`<line x1="${r(sx(x))}" y1="${m.top + ph}" x2="${r(sx(x))}" y2="${m.top + ph + 4}" stroke="#374151"/>`);
    out.push(`<text x="${r(sx(x))}" y="${m.top + ph + 18}" text-anchor="middle" fill="#374151">${fmtTick(x, xStep)}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#374151"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#374151"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle" fill="#374151">step</text>`);
  out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" fill="#374151" transform="rotate(-90 16 ${m.top + ph / 2})">loss</text>`);

  if (options.recommendedStep !== undefined) {
    const x = r(sx(options.recommendedStep));
    out.push(`<line class="recommended" x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="${COLORS.full}" stroke-dasharray="4 4"/>`);
  }
  const line = (series: Array<{ x: number; y: number }>, color: string, cls: string, width: number): void => {
    if (series.length === 0) return;
    out.push(`<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="${width}" points="${series.map((p) => `${r(sx(p.x))},${r(sy(p.y))}`).join(' ')}"/>`);
  };
  line(train, COLORS.train, 'train', 1.5);
  line(valid, COLORS.valid, 'valid', 1.5);
  if (full.length) {
    line(full, COLORS.full, 'full-valid', 1);
    for (const p of full) out.push(`<circle class="full-valid-point" cx="${r(sx(p.x))}" cy="${r(sy(p.y))}" r="3.5" fill="${COLORS.full}"/>`);
  }

  // Legend.
  const legend: Array<[string, string, number]> = [
    ['training loss', COLORS.train, train.length],
    ['validation loss', COLORS.valid, valid.length],
    ['full validation loss (checkpoints)', COLORS.full, full.length],
  ];
  let lx = m.left;
  for (const [label, color, n] of legend) {
    if (n === 0) continue;
    out.push(`<line x1="${lx}" y1="${H - 10}" x2="${lx + 18}" y2="${H - 10}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="${H - 6}" fill="#111827">${esc(label)}</text>`);
    lx += 40 + label.length * 6.5;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
