import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { getStyle, type Style } from '../../config/load.js';
import { writeFileAtomic } from '../../corpus/write.js';
import { RestyleError } from '../../errors.js';
import { trainStyleClassifier } from '../../eval/classifier.js';
import { destylerCandidate, restylerCandidate } from '../../eval/candidates.js';
import { htmlReport, markdownReport, summaryRows, wins, type ReportMeta } from '../../eval/report.js';
import { evaluate, type Candidate, type EvalExample } from '../../eval/run.js';
import { checkThresholds, DEFAULT_THRESHOLDS, mergeThresholds, type Thresholds } from '../../eval/thresholds.js';
import { Restyler } from '../../restyle/filter.js';
import { verifyModel } from '../../registry/verify.js';
import { displayPath } from '../../training/dataset.js';
import { readExamples } from '../../training/examples.js';
import { matchPrompt } from '../../training/prompt-match.js';
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
    .requiredOption('--data <file>', 'validation examples, e.g. corpus/valid.jsonl')
    .option('--train <file>', 'examples to train the style classifier on (default: train.jsonl next to --data)')
    .option('--limit <n>', 'only the first N examples', intOption('--limit'))
    .option('--against <style|model>', 'A/B: another style, or another model id on this style\'s endpoint')
    .option('--destyler', "evaluate the style's de-styler on destyle.valid.jsonl")
    .option('--out <dir>', 'where the reports go (default: an eval/ folder next to --data)')
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
      const role = flags.destyler ? 'destyler' : 'styler';
      const dataPath = resolve(io.cwd, flags.data);
      if (!existsSync(dataPath)) throw new RestyleError('file_not_found', `${flags.data}: no such file (expected a valid.jsonl from restyle corpus build)`);
      const trainPath = flags.train ? resolve(io.cwd, flags.train) : siblingTrain(dataPath);
      const shownTrain = displayPath(trainPath, io.cwd);
      if (!existsSync(trainPath)) throw new RestyleError('file_not_found', `${shownTrain}: no such file; the style classifier trains on it (pass --train FILE)`);

      await withContext(this, io, async (ctx) => {
        const style = getStyle(ctx.settings, flags.style);
        if (role === 'destyler' && !style.destyler) throw new RestyleError('usage', `style "${style.name}" has no destyler (set styles.${style.name}.destyler or register one: restyle models add ${style.name} --destyler --model ID)`);
        const template = role === 'styler' ? style.prompt : style.destylerPrompt;

        const all = await readExamples(dataPath, flags.data);
        const picked = flags.limit ? all.slice(0, flags.limit) : all;
        if (picked.length === 0) throw new RestyleError('file_invalid', `${flags.data}: no examples`);
        let mismatched = 0;
        const examples: EvalExample[] = picked.map((e) => {
          const params = matchPrompt(template, e.system);
          if (!params) mismatched += 1;
          return { ...e, params: params ?? {} };
        });
        if (mismatched) write(io.stderr, `warning: ${mismatched} example(s) in ${flags.data} were built with a different prompt than styles.${style.name}.${role === 'styler' ? 'prompt' : 'destylerPrompt'}; styling with the current one`);
        const train = await readExamples(trainPath, shownTrain);
        const classifier = trainStyleClassifier(train.map((e) => e.assistant), train.map((e) => e.user));

        const candidates: Candidate[] = [];
        const variant = async (label: string, ref: string | undefined): Promise<Candidate> => {
          if (role === 'destyler') {
            const model = ref ?? style.destyler!;
            if (ref) await verifyModel(ctx.llm.get(style.destylerEndpoint), style.destylerEndpoint, ref);
            return destylerCandidate(label, `${style.name} destyler ${model}`, ctx.llm, style, model);
          }
          if (ref === undefined) return restylerCandidate(label, `style ${style.name} (${style.model})`, ctx.restyler, style.name, { cache: flags.cache });
          const other = own(ctx.settings.styles, ref);
          if (other) return restylerCandidate(label, `style ${other.name} (${other.model})`, ctx.restyler, other.name, { cache: flags.cache });
          // A model id: this style with that model, through its own filter.
          await verifyModel(ctx.llm.get(style.endpoint), style.endpoint, ref);
          const alias = `${style.name}@${label}`;
          const styles: Record<string, Style> = { ...ctx.settings.styles, [alias]: { ...style, name: alias, model: ref } };
          const restyler = new Restyler({ settings: { ...ctx.settings, styles }, store: ctx.store, llm: ctx.llm, logger: ctx.logger });
          return restylerCandidate(label, `style ${style.name} with model ${ref}`, restyler, alias, { cache: flags.cache });
        };
        candidates.push(await variant('A', undefined));
        if (flags.against) candidates.push(await variant('B', flags.against));

        const total = examples.length * candidates.length;
        let lastShown = 0;
        const result = await evaluate(examples, candidates, classifier, {
          concurrency: flags.concurrency,
          onProgress: (done) => {
            if (done === total || done - lastShown >= Math.max(1, Math.floor(total / 10))) {
              lastShown = done;
              write(io.stderr, `eval: ${done}/${total}`);
            }
          },
        });

        const thresholds: Thresholds = mergeThresholds(DEFAULT_THRESHOLDS, ctx.settings.eval?.thresholds, ctx.settings.eval?.styles[style.name], {
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
        const checks = checkThresholds(thresholds, result.candidates[0]!.metrics, result.candidates[1]?.metrics);

        const date = new Date();
        const meta: ReportMeta = { style: style.name, role, data: flags.data, train: shownTrain, date: date.toISOString(), ...(flags.limit ? { limit: flags.limit } : {}) };
        const outDir = flags.out ? resolve(io.cwd, flags.out) : join(dirname(dataPath), 'eval');
        mkdirSync(outDir, { recursive: true });
        const stem = join(outDir, `${style.name}${role === 'destyler' ? '-destyler' : ''}-${date.toISOString().replace(/[:.]/g, '-').slice(0, 23)}`);
        writeFileAtomic(`${stem}.md`, markdownReport(meta, result, checks));
        writeFileAtomic(`${stem}.html`, htmlReport(meta, result, checks));
        writeFileAtomic(`${stem}.json`, `${JSON.stringify({ meta, thresholds, checks, ...result }, null, 2)}\n`);

        if (flags.json) write(io.stdout, JSON.stringify({ meta, thresholds, checks, candidates: result.candidates, classifier: result.classifier }, null, 2));
        else {
          for (const c of result.candidates) write(io.stdout, `${c.label}: ${c.name}`);
          const width = Math.max(...summaryRows(result).map((r) => r[0]!.length));
          for (const row of summaryRows(result)) write(io.stdout, `  ${row[0]!.padEnd(width)}  ${row.slice(1).map((c) => c.padStart(9)).join('  ')}`);
          const w = wins(result);
          if (w) write(io.stdout, `  per example (chrF): A better ${w.a}, B better ${w.b}, ties ${w.ties}`);
          write(io.stdout, `  classifier reads ${(100 * result.classifier.referenceAccuracy).toFixed(0)}% of references and ${(100 * result.classifier.inputAccuracy).toFixed(0)}% of inputs as in style`);
          for (const c of checks) write(io.stdout, `${c.pass ? '✓' : '✗'} ${c.name} ${c.value.toFixed(3)} (${c.limit})`);
        }
        write(io.stderr, `reports: ${displayPath(`${stem}.md`, io.cwd)}, ${displayPath(`${stem}.html`, io.cwd)}`);
        const failed = checks.filter((c) => !c.pass);
        if (failed.length) {
          write(io.stderr, `restyle: eval failed ${failed.length} threshold(s): ${failed.map((c) => c.name).join(', ')}`);
          throw new CliExit(1);
        }
      });
    });
}
