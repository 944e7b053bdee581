import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { AppContext } from '../../app.js';
import { getStyle, type Settings, type Style } from '../../config/load.js';
import { writeFileAtomic } from '../../corpus/write.js';
import { RestyleError } from '../../errors.js';
import { trainStyleClassifier } from '../../eval/classifier.js';
import { destylerCandidate, restylerCandidate } from '../../eval/candidates.js';
import { createEvalProgress } from '../../eval/progress.js';
import { classifierCaveat, htmlReport, markdownReport, summaryHeader, summaryRows, wins, type ReportMeta } from '../../eval/report.js';
import { evaluate, type Candidate, type EvalExample, type EvalResult } from '../../eval/run.js';
import { checkThresholds, DEFAULT_THRESHOLDS, mergeThresholds, type ThresholdResult, type Thresholds } from '../../eval/thresholds.js';
import { Restyler } from '../../restyle/restyler.js';
import { verifyModel } from '../../registry/verify.js';
import { DATA_FILES, displayPath } from '../../training/dataset.js';
import { readExamples } from '../../training/examples.js';
import { matchPrompt } from '../../training/prompt-match.js';
import type { ModelRole } from '../../training/types.js';
import { CliExit } from '../exit.js';
import { write, type CliIO } from '../io.js';
import { withContext } from '../context.js';
import { intOption } from '../params.js';
import { own } from '../../util/own.js';

interface EvalFlags {
  style: string;
  data: string;
  train?: string;
  limit?: number;
  against?: string;
  destyler?: boolean;
  out?: string;
  concurrency: number;
  cache: boolean;
  json?: boolean;
  minChrf?: number;
  minBleu?: number;
  minChrfInput?: number;
  minStyle?: number;
  maxFallback?: number;
  minLength?: number;
  maxLength?: number;
  maxErrors?: number;
  /** false when --no-worse is given. */
  worse: boolean;
}

const number = (name: string, max?: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (max !== undefined && n > max)) throw new RestyleError('usage', `${name} ${value}: expected a number from 0${max !== undefined ? ` to ${max}` : ''}`);
  return n;
};

/** train.jsonl next to valid.jsonl (destyle.train.jsonl next to destyle.valid.jsonl). */
function siblingTrain(data: string): string {
  const name = basename(data);
  const train = name.includes('valid') ? name.replace('valid', 'train') : 'train.jsonl';
  return join(dirname(data), train);
}

export function registerEval(program: Command, io: CliIO): void {
  program
    .command('eval')
    .description('style each neutral input of a validation set and score content kept, style strength, length and fallbacks; exit 1 when thresholds fail')
    .requiredOption('-s, --style <name>', 'the style to evaluate (its model from the registry or the config)')
    .requiredOption('--data <dir>', 'the corpus folder from restyle corpus build (its valid.jsonl; or name a .jsonl file)')
    .option('--train <file>', 'examples to train the style classifier on (default: train.jsonl next to the validation file)')
    .option('--limit <n>', 'only the first N examples', intOption('--limit'))
    .option('--against <style|model>', 'A/B: another style, or another model id on this style\'s endpoint')
    .option('--destyler', "evaluate the style's de-styler on destyle.valid.jsonl")
    .option('--out <dir>', 'where the reports go (default: an eval/ folder next to the validation file)')
    .option('--concurrency <n>', 'requests in flight', intOption('--concurrency'), 8)
    .option('--no-cache', 'always call the model (default: reuse cached answers to identical requests)')
    .option('--json', 'print the result as JSON')
    .option('--min-chrf <score>', 'fail below this chrF vs reference (0–100)', number('--min-chrf', 100))
    .option('--min-bleu <score>', 'fail below this BLEU vs reference (0–100)', number('--min-bleu', 100))
    .option('--min-chrf-input <score>', 'fail below this chrF vs the input (0–100)', number('--min-chrf-input', 100))
    .option('--min-style <rate>', 'fail below this style accuracy (0–1)', number('--min-style', 1))
    .option('--max-fallback <rate>', 'fail above this placeholder fallback rate (0–1; default 0.1)', number('--max-fallback', 1))
    .option('--min-length <ratio>', 'fail below this output/reference length ratio (default 0.5)', number('--min-length'))
    .option('--max-length <ratio>', 'fail above this output/reference length ratio (default 2)', number('--max-length'))
    .option('--max-errors <rate>', 'fail above this share of failed requests (0–1; default 0.05)', number('--max-errors', 1))
    .option('--no-worse', 'with --against: fail when A is below B on chrF or style accuracy')
    .action(async function (this: Command, flags: EvalFlags) {
      await runEval(this, io, flags);
    });
}

/** The validation file: `--data` as given when a file, else DIR/valid.jsonl (DIR/destyle.valid.jsonl). */
function validationFile(data: string, role: ModelRole, cwd: string): { path: string; shown: string } {
  const given = resolve(cwd, data);
  if (existsSync(given) && statSync(given).isDirectory()) {
    const path = join(given, DATA_FILES[role].valid);
    if (!existsSync(path)) throw new RestyleError('file_not_found', `${data} has no ${DATA_FILES[role].valid} (expected the output of restyle corpus build --out ${data})`);
    return { path, shown: displayPath(path, cwd) };
  }
  if (!existsSync(given)) throw new RestyleError('file_not_found', `${data}: no such file or folder (expected a corpus folder from restyle corpus build, or its valid.jsonl)`);
  return { path: given, shown: data };
}

/** `restyle eval`: read the data, run A (and B), score, write the reports, print, gate. */
async function runEval(cmd: Command, io: CliIO, flags: EvalFlags): Promise<void> {
  const role: ModelRole = flags.destyler ? 'destyler' : 'styler';
  const data = validationFile(flags.data, role, io.cwd);
  const trainPath = flags.train ? resolve(io.cwd, flags.train) : siblingTrain(data.path);
  const shownTrain = displayPath(trainPath, io.cwd);
  if (!existsSync(trainPath)) throw new RestyleError('file_not_found', `${shownTrain}: no such file; the style classifier trains on it (pass --train FILE)`);

  await withContext(cmd, io, async (ctx) => {
    const style = getStyle(ctx.settings, flags.style);
    if (role === 'destyler' && !style.destyler) throw new RestyleError('usage', `style "${style.name}" has no destyler (set styles.${style.name}.destyler or register one: restyle models add ${style.name} --destyler --model ID)`);
    const examples = await readEvalExamples(io, data, style, role, flags.limit);
    const train = await readExamples(trainPath, shownTrain);
    const classifier = trainStyleClassifier(train.map((e) => e.assistant), train.map((e) => e.user));
    const candidates = [await candidateFor(ctx, style, role, 'A', undefined, flags.cache)];
    if (flags.against) candidates.push(await candidateFor(ctx, style, role, 'B', flags.against, flags.cache));

    const progress = createEvalProgress(io.stderr, examples.length * candidates.length);
    let result: EvalResult;
    try {
      result = await evaluate(examples, candidates, classifier, { concurrency: flags.concurrency, onProgress: (done) => progress.update(done) });
    } finally {
      progress.stop();
    }

    const thresholds = thresholdsFor(ctx.settings, style.name, flags);
    const checks = checkThresholds(thresholds, result.candidates[0]!.metrics, result.candidates[1]?.metrics);
    const meta: ReportMeta = { style: style.name, role, data: data.shown, train: shownTrain, date: new Date().toISOString(), ...(flags.limit ? { limit: flags.limit } : {}) };
    const stem = writeReports(flags.out ? resolve(io.cwd, flags.out) : join(dirname(data.path), 'eval'), meta, result, thresholds, checks);

    if (flags.json) write(io.stdout, JSON.stringify({ meta, thresholds, checks, candidates: result.candidates, classifier: result.classifier }, null, 2));
    else for (const line of summaryLines(result, checks)) write(io.stdout, line);
    write(io.stderr, `reports: ${displayPath(`${stem}.md`, io.cwd)}, ${displayPath(`${stem}.html`, io.cwd)}`);
    const failed = checks.filter((c) => !c.pass);
    if (failed.length) {
      write(io.stderr, `restyle: eval failed ${failed.length} threshold(s): ${failed.map((c) => c.name).join(', ')}`);
      throw new CliExit(1);
    }
  });
}

/** The examples to style, each with the style parameters its system message was built with. */
async function readEvalExamples(io: CliIO, data: { path: string; shown: string }, style: Style, role: ModelRole, limit: number | undefined): Promise<EvalExample[]> {
  const template = role === 'styler' ? style.prompt : style.destylerPrompt;
  const all = await readExamples(data.path, data.shown);
  const picked = limit ? all.slice(0, limit) : all;
  if (picked.length === 0) throw new RestyleError('file_invalid', `${data.shown}: no examples`);
  let mismatched = 0;
  const examples = picked.map((e) => {
    const params = matchPrompt(template, e.system);
    if (!params) mismatched += 1;
    return { ...e, params: params ?? {} };
  });
  if (mismatched) write(io.stderr, `warning: ${mismatched} example(s) in ${data.shown} were built with a different prompt than styles.${style.name}.${role === 'styler' ? 'prompt' : 'destylerPrompt'}; styling with the current one`);
  return examples;
}

/** Candidate A (ref undefined: the style as configured) or B (`--against`: another style or a model id). */
async function candidateFor(ctx: AppContext, style: Style, role: ModelRole, label: string, ref: string | undefined, cache: boolean): Promise<Candidate> {
  if (role === 'destyler') {
    const model = ref ?? style.destyler!;
    if (ref) await verifyModel(ctx.llm.get(style.destylerEndpoint), style.destylerEndpoint, ref);
    return destylerCandidate(label, `${style.name} destyler ${model}`, ctx.llm, style, model);
  }
  if (ref === undefined) return restylerCandidate(label, `style ${style.name} (${style.model})`, ctx.restyler, style.name, { cache });
  const other = own(ctx.settings.styles, ref);
  if (other) return restylerCandidate(label, `style ${other.name} (${other.model})`, ctx.restyler, other.name, { cache });
  // A model id: this style with that model, through its own filter.
  await verifyModel(ctx.llm.get(style.endpoint), style.endpoint, ref);
  const alias = `${style.name}@${label}`;
  const styles: Record<string, Style> = { ...ctx.settings.styles, [alias]: { ...style, name: alias, model: ref } };
  const restyler = new Restyler({ settings: { ...ctx.settings, styles }, store: ctx.store, llm: ctx.llm, logger: ctx.logger });
  return restylerCandidate(label, `style ${style.name} with model ${ref}`, restyler, alias, { cache });
}

/** Defaults, then the config (all styles, this style), then the flags. */
function thresholdsFor(settings: Settings, styleName: string, flags: EvalFlags): Thresholds {
  return mergeThresholds(DEFAULT_THRESHOLDS, settings.eval?.thresholds, settings.eval?.styles[styleName], {
    minChrf: flags.minChrf,
    minBleu: flags.minBleu,
    minChrfInput: flags.minChrfInput,
    minStyleAccuracy: flags.minStyle,
    maxFallbackRate: flags.maxFallback,
    minLengthRatio: flags.minLength,
    maxLengthRatio: flags.maxLength,
    maxErrorRate: flags.maxErrors,
    ...(flags.worse === false ? { noWorse: true } : {}),
  });
}

/** Markdown, HTML and JSON reports in `outDir`; returns their common path stem. */
function writeReports(outDir: string, meta: ReportMeta, result: EvalResult, thresholds: Thresholds, checks: readonly ThresholdResult[]): string {
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, `${meta.style}${meta.role === 'destyler' ? '-destyler' : ''}-${meta.date.replace(/[:.]/g, '-').slice(0, 23)}`);
  writeFileAtomic(`${stem}.md`, markdownReport(meta, result, checks));
  writeFileAtomic(`${stem}.html`, htmlReport(meta, result, checks));
  writeFileAtomic(`${stem}.json`, `${JSON.stringify({ meta, thresholds, checks, ...result }, null, 2)}\n`);
  return stem;
}

/** The terminal summary: candidates, a headed metric table, the per-example tally, the checks. */
function summaryLines(result: EvalResult, checks: readonly ThresholdResult[]): string[] {
  const lines = result.candidates.map((c) => `${c.label}: ${c.name}`);
  const head = summaryHeader(result);
  const rows = summaryRows(result);
  const width = Math.max(head[0]!.length, ...rows.map((r) => r[0]!.length));
  const cells = (row: string[]): string => `  ${row[0]!.padEnd(width)}  ${row.slice(1).map((c) => c.padStart(9)).join('  ')}`.trimEnd();
  lines.push(cells(head), ...rows.map(cells));
  const w = wins(result);
  if (w) lines.push(`  per example (chrF): A better ${w.a}, B better ${w.b}, ties ${w.ties}`);
  lines.push(`  classifier reads ${(100 * result.classifier.referenceAccuracy).toFixed(0)}% of references and ${(100 * result.classifier.inputAccuracy).toFixed(0)}% of inputs as in style`);
  const caveat = classifierCaveat(result);
  if (caveat) lines.push(`! ${caveat}`);
  for (const c of checks) lines.push(`${c.pass ? '✓' : '✗'} ${c.name} ${c.value.toFixed(3)} (${c.limit})`);
  return lines;
}
