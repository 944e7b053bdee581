/**
 * Charts for the eval reports as standalone SVG (no browser or library needed), drawn like the loss chart
 * in src/training/chart-svg.ts: the distribution of a per-example score for each candidate, and A against
 * B per example.
 */

export interface ScoreSeries {
  label: string;
  values: readonly number[];
}

const COLORS = ['#2563eb', '#ea580c'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r = (n: number): string => n.toFixed(1);

/** How many of `values` fall in each of `bins` equal bins over [0, max] (max itself in the last bin). */
export function histogram(values: readonly number[], bins: number, max: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v / max) * bins)));
    counts[i]! += 1;
  }
  return counts;
}

function frame(W: number, H: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
}

function legend(out: string[], series: readonly ScoreSeries[], x: number, y: number): void {
  series.forEach((s, k) => {
    out.push(`<rect x="${x + k * 120}" y="${y - 10}" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>`);
    out.push(`<text x="${x + k * 120 + 18}" y="${y}" fill="#111827">${esc(s.label)}</text>`);
  });
}

/** Side-by-side bars: how many examples scored in each tenth of [0, max], per candidate. */
export function scoreHistogramSvg(series: readonly ScoreSeries[], options: { title: string; max: number; bins?: number; axis: string }): string {
  const W = 720;
  const H = 300;
  const bins = options.bins ?? 10;
  const m = { left: 50, right: 20, top: 36, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const counts = series.map((s) => histogram(s.values, bins, options.max));
  const top = Math.max(1, ...counts.flat());
  const out = frame(W, H, options.title);
  const bw = pw / bins;
  const barW = (bw - 6) / Math.max(1, series.length);
  for (let y = 0; y <= top; y += Math.max(1, Math.ceil(top / 5))) {
    const py = m.top + ph - (y / top) * ph;
    out.push(`<line x1="${m.left}" y1="${r(py)}" x2="${m.left + pw}" y2="${r(py)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${r(py + 4)}" text-anchor="end" fill="#374151">${y}</text>`);
  }
  counts.forEach((c, k) => {
    c.forEach((n, i) => {
      const h = (n / top) * ph;
      out.push(`<rect class="bar s${k}" data-bin="${i}" data-count="${n}" x="${r(m.left + i * bw + 3 + k * barW)}" y="${r(m.top + ph - h)}" width="${r(barW)}" height="${r(h)}" fill="${COLORS[k % COLORS.length]}"/>`);
    });
  });
  for (let i = 0; i <= bins; i++) {
    const v = (i / bins) * options.max;
    out.push(`<text x="${r(m.left + i * bw)}" y="${m.top + ph + 16}" text-anchor="middle" fill="#374151">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#374151"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 32}" text-anchor="middle" fill="#374151">${esc(options.axis)}</text>`);
  legend(out, series, m.left, H - 8);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One dot per example at (A's score, B's score); above the diagonal B did better, below it A did. */
export function abScatterSvg(points: ReadonlyArray<{ line: number; a: number; b: number }>, options: { title: string; max: number; axis: string }): string {
  const S = 360;
  const m = { left: 50, right: 20, top: 36, bottom: 50 };
  const W = S + m.left + m.right;
  const H = S + m.top + m.bottom;
  const sx = (v: number): number => m.left + (v / options.max) * S;
  const sy = (v: number): number => m.top + S - (v / options.max) * S;
  const out = frame(W, H, options.title);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${S}" height="${S}" fill="none" stroke="#374151"/>`);
  out.push(`<line class="diagonal" x1="${sx(0)}" y1="${sy(0)}" x2="${sx(options.max)}" y2="${sy(options.max)}" stroke="#9ca3af" stroke-dasharray="4 4"/>`);
  for (const p of points) {
    const color = p.a > p.b ? COLORS[0] : p.b > p.a ? COLORS[1] : '#6b7280';
    out.push(`<circle class="example" data-line="${p.line}" cx="${r(sx(p.a))}" cy="${r(sy(p.b))}" r="3.5" fill="${color}" fill-opacity="0.7"><title>line ${p.line}: A ${p.a.toFixed(1)}, B ${p.b.toFixed(1)}</title></circle>`);
  }
  out.push(`<text x="${m.left + S / 2}" y="${H - 14}" text-anchor="middle" fill="#374151">A ${esc(options.axis)}</text>`);
  out.push(`<text x="16" y="${m.top + S / 2}" text-anchor="middle" fill="#374151" transform="rotate(-90 16 ${m.top + S / 2})">B ${esc(options.axis)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
