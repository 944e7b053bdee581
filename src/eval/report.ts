import { abScatterSvg, scoreHistogramSvg } from './chart-svg.js';
import type { EvalResult } from './run.js';
import type { SystemMetrics, ThresholdResult } from './thresholds.js';

export interface ReportMeta {
  style: string;
  role: 'styler' | 'destyler';
  data: string;
  train: string;
  date: string;
  limit?: number;
}

/** Examples shown side by side in the reports (all of them go to the JSON). */
export const REPORT_EXAMPLES = 200;

interface Row {
  label: string;
  key: keyof SystemMetrics;
  kind: 'score' | 'rate' | 'ratio';
  /** Higher is better (for the A/B column). */
  up: boolean | null;
}

export const METRIC_ROWS: Row[] = [
  { label: 'chrF vs reference', key: 'chrf', kind: 'score', up: true },
  { label: 'BLEU vs reference', key: 'bleu', kind: 'score', up: true },
  { label: 'chrF vs input (content kept)', key: 'chrfInput', kind: 'score', up: null },
  { label: 'BLEU vs input', key: 'bleuInput', kind: 'score', up: null },
  { label: 'style accuracy', key: 'styleAccuracy', kind: 'rate', up: true },
  { label: 'placeholder fallback rate', key: 'fallbackRate', kind: 'rate', up: false },
  { label: 'length ratio (output/reference)', key: 'lengthRatio', kind: 'ratio', up: null },
  { label: 'length ratio (output/input)', key: 'lengthRatioInput', kind: 'ratio', up: null },
  { label: 'error rate', key: 'errorRate', kind: 'rate', up: false },
];

export function formatMetric(kind: Row['kind'], v: number): string {
  if (kind === 'score') return v.toFixed(2);
  if (kind === 'rate') return `${(100 * v).toFixed(1)}%`;
  return v.toFixed(2);
}

function delta(row: Row, a: number, b: number): string {
  const d = a - b;
  const text = row.kind === 'rate' ? `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pt` : `${d >= 0 ? '+' : ''}${d.toFixed(2)}`;
  if (row.up === null || Math.abs(d) < 1e-9) return text;
  return `${text} ${(d > 0) === row.up ? '▲' : '▼'}`;
}

/** The summary table's header: metric, each candidate's label, A − B when there are two. */
export function summaryHeader(result: EvalResult): string[] {
  return ['metric', ...result.candidates.map((c) => c.label), ...(result.candidates.length > 1 ? ['A − B'] : [])];
}

/** The HTML report's charts: each candidate's sentence chrF and P(style) distributions, and A vs B per example. */
export function chartsSvg(result: EvalResult): string[] {
  const series = (pick: (o: EvalResult['examples'][number]['outputs'][number]) => number) =>
    result.candidates.map((c, k) => ({ label: c.label, values: result.examples.map((e) => pick(e.outputs[k]!)) }));
  const charts = [
    scoreHistogramSvg(series((o) => o.chrf), { title: 'sentence chrF vs reference: examples per score', max: 100, axis: 'chrF' }),
    scoreHistogramSvg(series((o) => o.pTarget), { title: 'style strength: examples per P(style)', max: 1, axis: 'P(style) by the classifier' }),
  ];
  if (result.candidates.length > 1) {
    const points = result.examples.map((e) => ({ line: e.line, a: e.outputs[0]!.chrf, b: e.outputs[1]!.chrf }));
    charts.push(abScatterSvg(points, { title: 'A vs B per example (sentence chrF)', max: 100, axis: 'chrF' }));
  }
  return charts;
}

/** Rows of the summary table: metric, each candidate, A−B when there are two. */
export function summaryRows(result: EvalResult): string[][] {
  const [a, b] = result.candidates;
  return METRIC_ROWS.map((row) => [
    row.label,
    ...result.candidates.map((c) => formatMetric(row.kind, c.metrics[row.key])),
    ...(a && b ? [delta(row, a.metrics[row.key], b.metrics[row.key])] : []),
  ]);
}

/** Per-example A/B tally on sentence chrF. */
export function wins(result: EvalResult): { a: number; b: number; ties: number } | null {
  if (result.candidates.length < 2) return null;
  let a = 0;
  let b = 0;
  let ties = 0;
  for (const e of result.examples) {
    const d = e.outputs[0]!.chrf - e.outputs[1]!.chrf;
    if (Math.abs(d) < 0.5) ties += 1;
    else if (d > 0) a += 1;
    else b += 1;
  }
  return { a, b, ties };
}

const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

export function markdownReport(meta: ReportMeta, result: EvalResult, checks: readonly ThresholdResult[]): string {
  const lines: string[] = [];
  lines.push(`# restyle eval: ${meta.style} ${meta.role}`, '');
  lines.push(`${meta.date} · ${result.examples.length} examples from \`${meta.data}\`${meta.limit ? ` (--limit ${meta.limit})` : ''} · classifier trained on \`${meta.train}\``, '');
  for (const c of result.candidates) lines.push(`- **${c.label}**: ${mdCell(c.name)}`);
  lines.push('');
  const head = summaryHeader(result);
  lines.push(`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of summaryRows(result)) lines.push(`| ${row.map(mdCell).join(' | ')} |`);
  lines.push('');
  const w = wins(result);
  if (w) lines.push(`Per example (sentence chrF vs reference): A better ${w.a}, B better ${w.b}, ties ${w.ties}.`, '');
  lines.push('Charts (score distributions, A vs B per example): see the HTML report beside this file.', '');
  lines.push(
    `Style classifier (character 2–4-gram naive Bayes, ${result.classifier.trainedOn.styled} + ${result.classifier.trainedOn.neutral} training texts): reads ${(100 * result.classifier.referenceAccuracy).toFixed(1)}% of references and ${(100 * result.classifier.inputAccuracy).toFixed(1)}% of inputs as in style.`,
    '',
  );
  const caveat = classifierCaveat(result);
  if (caveat) lines.push(`> ⚠ ${caveat}`, '');
  if (checks.length) {
    lines.push('## Thresholds', '', '| check | limit | value | |', '| --- | --- | ---: | --- |');
    for (const c of checks) lines.push(`| ${mdCell(c.name)} | ${c.limit} | ${c.value.toFixed(3)} | ${c.pass ? '✓ pass' : '✗ FAIL'} |`);
    lines.push('');
  }
  lines.push('## Examples', '');
  const cols = ['line', 'input', ...result.candidates.map((c) => `${c.label} output`), 'reference', ...result.candidates.map((c) => `${c.label} chrF`), ...result.candidates.map((c) => `${c.label} P(style)`)];
  lines.push(`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
  for (const e of result.examples.slice(0, REPORT_EXAMPLES)) {
    const outs = e.outputs.map((o) => (o.error ? `⚠ ${o.error}` : `${o.text}${o.fallbacks ? ` (${o.fallbacks} fallback)` : ''}`));
    lines.push(`| ${[String(e.line), e.input, ...outs, e.reference, ...e.outputs.map((o) => o.chrf.toFixed(1)), ...e.outputs.map((o) => o.pTarget.toFixed(2))].map(mdCell).join(' | ')} |`);
  }
  if (result.examples.length > REPORT_EXAMPLES) lines.push('', `(${result.examples.length - REPORT_EXAMPLES} more examples in the JSON report)`);
  return `${lines.join('\n')}\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlReport(meta: ReportMeta, result: EvalResult, checks: readonly ThresholdResult[]): string {
  const head = summaryHeader(result);
  const summary = summaryRows(result)
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td class="num">${esc(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  const checksHtml = checks.length
    ? `<h2>Thresholds</h2><table><tr><th>check</th><th>limit</th><th>value</th><th></th></tr>${checks
        .map((c) => `<tr class="${c.pass ? 'pass' : 'fail'}"><td>${esc(c.name)}</td><td>${esc(c.limit)}</td><td class="num">${c.value.toFixed(3)}</td><td>${c.pass ? '✓ pass' : '✗ FAIL'}</td></tr>`)
        .join('')}</table>`
    : '';
  const w = wins(result);
  const rows = result.examples
    .slice(0, REPORT_EXAMPLES)
    .map((e) => {
      const outs = e.outputs
        .map((o) => `<td class="text${o.error ? ' error' : ''}">${esc(o.error ? `⚠ ${o.error}` : o.text)}<div class="meta">chrF ${o.chrf.toFixed(1)} · P(style) ${o.pTarget.toFixed(2)}${o.fallbacks ? ` · ${o.fallbacks} fallback` : ''}</div></td>`)
        .join('');
      return `<tr><td class="num">${e.line}</td><td class="text">${esc(e.input)}</td>${outs}<td class="text">${esc(e.reference)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>restyle eval: ${esc(meta.style)} ${meta.role}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111827}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #e5e7eb;padding:.4rem .6rem;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.text{white-space:pre-wrap;max-width:28rem}
td.error{color:#b91c1c}
.meta{color:#6b7280;font-size:.8rem;margin-top:.3rem}
tr.fail td{background:#fef2f2} tr.pass td{background:#f0fdf4}
</style></head><body>
<h1>restyle eval: ${esc(meta.style)} ${meta.role}</h1>
<p>${esc(meta.date)} · ${result.examples.length} examples from <code>${esc(meta.data)}</code>${meta.limit ? ` (--limit ${meta.limit})` : ''} · classifier trained on <code>${esc(meta.train)}</code></p>
<ul>${result.candidates.map((c) => `<li><b>${esc(c.label)}</b>: ${esc(c.name)}</li>`).join('')}</ul>
<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${summary}</table>
${w ? `<p>Per example (sentence chrF vs reference): A better ${w.a}, B better ${w.b}, ties ${w.ties}.</p>` : ''}
<p>Style classifier (character 2–4-gram naive Bayes): reads ${(100 * result.classifier.referenceAccuracy).toFixed(1)}% of references and ${(100 * result.classifier.inputAccuracy).toFixed(1)}% of inputs as in style.</p>
${checksHtml}
<h2>Charts</h2>
<div class="charts">${chartsSvg(result).join('')}</div>
<h2>Examples</h2>
<table><tr><th>line</th><th>input</th>${result.candidates.map((c) => `<th>${esc(c.label)} output</th>`).join('')}<th>reference</th></tr>
${rows}</table>
${result.examples.length > REPORT_EXAMPLES ? `<p>(${result.examples.length - REPORT_EXAMPLES} more examples in the JSON report)</p>` : ''}
</body></html>
`;
}

/** The gap between references and inputs read as in style below which style accuracy says little. */
const SEPARATION = 0.25;

/**
 * A warning when the classifier barely tells the references from the inputs (the editor answered with the
 * text unchanged, or the style is too faint to see in characters): its style accuracy is then no signal.
 */
export function classifierCaveat(result: Pick<EvalResult, 'classifier'>): string | undefined {
  const { referenceAccuracy: refs, inputAccuracy: inputs } = result.classifier;
  if (refs - inputs >= SEPARATION) return undefined;
  return `the style classifier barely tells references (${(100 * refs).toFixed(0)}% in style) from inputs (${(100 * inputs).toFixed(0)}%): style accuracy says little for this data (are the styled and neutral texts alike? look at the corpus's pairs)`;
}
