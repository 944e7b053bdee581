/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and prints each figure
 * with its goal. Benchmarks measure ratios against a baseline taken in the same run, so the figures mean
 * the same on a slow CI box as on a laptop.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchResult[]> };
  process.stdout.write(`\n## ${file.replace(/\.bench\.ts$/, '')}\n`);
  const results = await mod.default();
  for (const r of results) {
    const mark = r.ok === undefined ? ' ' : r.ok ? '✓' : '✗';
    if (r.ok === false) failed += 1;
    const value = r.unit === '×' ? `${r.value.toFixed(3)}×` : `${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`;
    process.stdout.write(`${mark} ${r.name}: ${value}${r.goal ? `  (goal ${r.goal})` : ''}${r.note ? `  — ${r.note}` : ''}\n`);
  }
}
process.stdout.write(`\n${failed === 0 ? 'all goals met' : `${failed} goal(s) missed`}\n`);
process.exit(failed === 0 ? 0 : 1);
