import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_EDITOR_PROMPT } from '../../config/defaults.js';
import { getStyle, secretsOf } from '../../config/load.js';
import { buildCorpus } from '../../corpus/build.js';
import { shownPath } from '../../corpus/ingest.js';
import { NOISE_DEFAULTS } from '../../corpus/noise.js';
import { createProgress } from '../../corpus/progress.js';
import { summarize } from '../../corpus/report.js';
import { storeSamples } from '../../corpus/samples.js';
import { validateJsonl, type ValidationReport } from '../../corpus/validate.js';
import { DEFAULT_OPENAI_BASE_MODEL } from '../../training/openai/provider.js';
import { RestyleError } from '../../errors.js';
import { createPostFetch } from '../../util/post-fetch.js';
import { LlmPool } from '../../llm/pool.js';
import { createLogger } from '../../log.js';
import { openStore } from '../../store/index.js';
import { CliExit } from '../exit.js';
import { heapGrowth, preferSmallHeap } from '../../util/memory.js';
import { registerForget } from './forget.js';
import { globalOptions, settingsFor } from '../context.js';
import { write, type CliIO } from '../io.js';
import { fractionOption, intOption } from '../params.js';

interface BuildFlags {
  in?: string[];
  fromStore?: boolean;
  out: string;
  style: string;
  validFraction: number;
  seed: number;
  concurrency: number;
  editorModel?: string;
  params?: string;
  author?: string;
  rpm?: number;
  tpm?: number;
  batch?: boolean;
  pollSeconds: number;
  json?: boolean;
  minWords: number;
  maxCodeShare: number;
  linkWords: number;
  maxRepeats: number;
}

/** A corpus run waits longer per request than the live filter: a 1,500-character rewrite can take a while. */
const EDITOR_TIMEOUT_MS = 120_000;

function secondsOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new RestyleError('usage', `${name} ${value}: expected a number of seconds above 0`);
    return n;
  };
}

function shareOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new RestyleError('usage', `${name} ${value}: expected a number from 0 to 1`);
    return n;
  };
}

function paramNames(value: string): string[] {
  const names = value.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = names.find((n) => !/^[A-Za-z_][\w-]*$/.test(n));
  if (bad !== undefined || names.length === 0) throw new RestyleError('usage', `--params ${value}: expected comma-separated names like tone,mood`);
  return names;
}

/**
 * `restyle corpus build` and `restyle corpus validate`.
 *
 * @example
 * restyle corpus build --in docs/ exports/slack.zip --out corpus/pirate --style pirate --rpm 500 --tpm 200000
 * restyle corpus validate corpus/pirate/train.jsonl
 */
export function registerCorpus(program: Command, io: CliIO): void {
  const corpus = program.command('corpus').description('build fine-tuning data from text written in a style');
  addCorpusBuild(corpus, io);
  addCorpusValidate(corpus, io);
  registerForget(corpus, io);
}

function addCorpusBuild(corpus: Command, io: CliIO): void {
  corpus
    .command('build')
    .description('chunk styled text, strip the style with an editor model, write styler and de-styler JSONL')
    .option('--in <path...>', '.txt/.md files or folders (recursive), .jsonl with a "text" field, a Slack export (folder or .zip), DiscordChatExporter .json')
    .requiredOption('--out <dir>', 'output folder (answers are cached in DIR/.cache, so a re-run pays only for what is missing)')
    .requiredOption('-s, --style <name>', 'the style the text is written in')
    .option('--valid-fraction <f>', 'share of examples held out for validation, by whole source document', fractionOption('--valid-fraction'), 0.1)
    .option('--seed <n>', 'seed for the train/valid split', intOption('--seed', 0), 1)
    .option('--concurrency <n>', 'editor requests in flight', intOption('--concurrency'), 16)
    .option('--rpm <n>', "your provider's requests-per-minute limit for the editor model", intOption('--rpm'))
    .option('--tpm <n>', "your provider's tokens-per-minute limit for the editor model", intOption('--tpm'))
    .option('--editor-model <model>', 'the model that strips the style (default: corpus.editorModel)')
    .option('--params <names>', 'style parameters to extract first, comma-separated (e.g. tone,mood); the style prompt must use {{name}}', paramNames)
    .option('--batch', 'send the editor requests through the Batch API (half the price, results within 24 h)')
    .option('--poll-seconds <n>', 'how often to check on a batch', secondsOption('--poll-seconds'), 30)
    .option('--from-store', "add the samples people approved in chat for this style (the bot's store)")
    .option('--author <id>', 'from chat exports and samples, keep only this person (Slack user id or name, Discord user id or name)')
    .option('--min-words <n>', 'leave out blocks with fewer words (one-word replies are not style)', intOption('--min-words', 0), NOISE_DEFAULTS.minWords)
    .option('--max-code-share <f>', 'leave out blocks with more than this share of code-like tokens (unfenced code, logs, ids; 1 keeps all)', shareOption('--max-code-share'), NOISE_DEFAULTS.maxCodeShare)
    .option('--link-words <n>', 'a block with a link needs this many words besides it, or it is left out as link-only (0 keeps all)', intOption('--link-words', 0), NOISE_DEFAULTS.linkWords)
    .option('--max-repeats <n>', 'text posted more often than this is spam: every copy is left out (0 keeps all)', intOption('--max-repeats', 0), NOISE_DEFAULTS.maxRepeats)
    .option('--json', 'print report.json to stdout')
    .action(async function (this: Command, flags: BuildFlags & { params?: string[] | string }) {
      if (!flags.in?.length && !flags.fromStore) throw new RestyleError('usage', 'nothing to build from: pass --in PATH… and/or --from-store');
      preferSmallHeap();
      const settings = settingsFor(this, io);
      const style = getStyle(settings, flags.style);
      const logger = createLogger({ level: globalOptions(this).debug ? 'debug' : 'error', secrets: secretsOf(settings) });
      // This run's limits: concurrency, RPM and TPM hold across every request it makes.
      const pool = new LlmPool({
        llm: { concurrency: flags.concurrency, rpm: flags.rpm ?? settings.llm.rpm, tpm: flags.tpm ?? settings.llm.tpm },
        restyle: { requestTimeoutMs: Math.max(settings.restyle.requestTimeoutMs, EDITOR_TIMEOUT_MS), maxRetries: settings.restyle.maxRetries },
        // Thousands of plain JSON calls: node:http instead of the global fetch, ~0.6× the CPU a call (src/util/post-fetch.ts).
        fetch: createPostFetch(),
        logger,
      });
      const client = pool.get(settings.corpus.endpoint);
      const editorModel = flags.editorModel ?? settings.corpus.editorModel;
      const price = settings.corpus.editorPricePerMTok;
      const report = await buildCorpus({
        inputs: flags.in ?? [],
        ...(flags.fromStore
          ? {
              fromStore: async () => {
                const store = await openStore(settings.store);
                try {
                  return await storeSamples(store, style.name, flags.author);
                } finally {
                  await store.close();
                }
              },
            }
          : {}),
        cwd: io.cwd,
        outDir: flags.out,
        style,
        editor: { model: editorModel, prompt: settings.corpus.editorPrompt ?? DEFAULT_EDITOR_PROMPT, endpoint: settings.corpus.endpoint },
        validFraction: flags.validFraction,
        seed: flags.seed,
        concurrency: flags.concurrency,
        ...(flags.params ? { params: flags.params as string[] } : {}),
        ...(flags.author ? { author: flags.author } : {}),
        chunk: { maxParagraphs: settings.restyle.maxBlockParagraphs, maxChars: settings.restyle.maxBlockChars },
        noise: { minWords: flags.minWords, maxCodeShare: flags.maxCodeShare, linkWords: flags.linkWords, maxRepeats: flags.maxRepeats },
        limits: {
          zip: { maxEntryBytes: settings.corpus.zip.maxEntryMB * 2 ** 20, maxTotalBytes: settings.corpus.zip.maxTotalMB * 2 ** 20, maxRatio: settings.corpus.zip.maxRatio },
          maxFileBytes: settings.corpus.maxFileMB * 2 ** 20,
        },
        trainingPricePerMTok: settings.corpus.trainingPricePerMTok,
        editorPrice: { inputPerMTok: price.input, outputPerMTok: price.output },
        chat: (req) => client.chat(req),
        ...(flags.batch ? { batch: { sdk: client.sdk, toError: (e: unknown) => client.toError(e, editorModel), pollMs: flags.pollSeconds * 1000 } } : {}),
        log: (line) => write(io.stderr, line),
        progress: (label) => createProgress(io.stderr, label),
        onPhase: (phase) => heapGrowth(phase === 'de-style' ? 'double' : 'small'),
      }).finally(noteInterrupt(io, flags.out)); // registered as the build starts, removed when it ends
      if (flags.json) write(io.stdout, JSON.stringify(report, null, 2));
      for (const line of summarize(report, shownPath(resolve(io.cwd, flags.out), io.cwd))) write(io.stderr, line);
      // The files are written either way; a run that gave up on the provider still says so in its exit code.
      if (report.stoppedEarly) throw new RestyleError('llm_unavailable', `${report.stoppedEarly}; the ${report.failed.length} block(s) left are listed in report.json — re-run to continue`);
    });
}

function addCorpusValidate(corpus: Command, io: CliIO): void {
  corpus
    .command('validate')
    .description("check chat fine-tuning JSONL files the way OpenAI's cookbook does, line by line")
    .argument('<file...>', '.jsonl files')
    .option('--model <base>', 'the base model the file is for: sets the per-example token limit', DEFAULT_OPENAI_BASE_MODEL)
    .option('--max-example-tokens <n>', "override the model's per-example token limit", intOption('--max-example-tokens'))
    .option('--json', 'print the reports as JSON')
    .action(async (files: string[], opts: { json?: boolean; model: string; maxExampleTokens?: number }) => {
      const reports = [];
      for (const file of files) {
        const path = resolve(io.cwd, file);
        if (!existsSync(path)) throw new RestyleError('file_not_found', `${file}: no such file`, { details: { file } });
        reports.push(await validateJsonl(path, file, { model: opts.model, ...(opts.maxExampleTokens ? { maxExampleTokens: opts.maxExampleTokens } : {}) }));
      }
      if (opts.json) write(io.stdout, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
      else {
        for (const r of reports) for (const line of reportLines(r)) write(io.stdout, line);
      }
      if (reports.some((r) => r.issues.length > 0)) throw new CliExit(1);
    });
}

/** What `corpus validate` prints for one file: its problems, warnings and the summary line. */
function reportLines(r: ValidationReport): string[] {
  if (r.skipped) return [`${r.file}: skipped: ${r.skipped}`];
  const t = r.tokens;
  const billing = r.validation
    ? 'a validation file (the 10-example minimum and the billing estimate are a training file\'s)'
    : `${r.billing.tokensPerEpoch.toLocaleString('en-US')} billed tokens per epoch, ${r.billing.defaultEpochs} epoch(s) by default`;
  return [
    ...issueLines(r.file, r.issues),
    ...r.warnings.map((w) => `${r.file}: warning: ${w}`),
    `${r.file}: ${r.examples} usable example(s) of ${r.lines} line(s), ${r.issues.length} problem(s); tokens per example p50 ${t.p50}, p95 ${t.p95}, max ${t.max} (limit ${t.limit.toLocaleString('en-US')}); ${billing}`,
  ];
}

/** Lines shown per problem text: a whole file of the same mistake (out/*.jsonl picking up pairs.jsonl) is summed up, not listed. */
const SHOWN_PER_PROBLEM = 3;

/** `file:line: problem` for each issue, but past SHOWN_PER_PROBLEM lines of one problem a count of the rest. */
function issueLines(file: string, issues: ReadonlyArray<{ line: number; problem: string }>): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (const i of issues) {
    const n = (seen.get(i.problem) ?? 0) + 1;
    seen.set(i.problem, n);
    if (n <= SHOWN_PER_PROBLEM) out.push(`${file}:${i.line}: ${i.problem}`);
  }
  for (const [problem, n] of seen) if (n > SHOWN_PER_PROBLEM) out.push(`${file}: … and ${(n - SHOWN_PER_PROBLEM).toLocaleString('en-US')} more line(s) with: ${problem}`);
  return out;
}

/**
 * Ctrl-C during a build: say that nothing is lost and how to go on, then exit 130 as the shell expects. The
 * editor's answers are appended to OUT/.cache as they come; one turn of the event loop lets the last flush.
 */
function noteInterrupt(io: CliIO, out: string): () => void {
  const onSignal = (): void => {
    write(io.stderr, `\ninterrupted: the answers so far are kept in ${out}/.cache; run the same command again to go on from there`);
    setImmediate(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  return () => process.off('SIGINT', onSignal);
}
