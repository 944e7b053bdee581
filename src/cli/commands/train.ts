import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { getStyle, requireApiKey, type Settings } from '../../config/load.js';
import { RestyleError, toRestyleError } from '../../errors.js';
import type { AppContext } from '../../app.js';
import { endpointFor } from '../../registry/endpoints.js';
import { ModelRegistry } from '../../registry/registry.js';
import { verifierFor } from '../../registry/verify.js';
import { adoptJob } from '../../training/adopt.js';
import { analyseCurves } from '../../training/analysis.js';
import { displayPath, loadDataSet } from '../../training/dataset.js';
import { readExamples } from '../../training/examples.js';
import { ExportProvider } from '../../training/export/provider.js';
import { JobStore } from '../../training/jobs.js';
import { checkLeakage, type LeakageReport } from '../../training/leakage.js';
import { OpenAIProvider } from '../../training/openai/provider.js';
import { providerName } from '../../training/provider.js';
import { checkpointTable, jobReport, watchPrinter } from '../../training/render.js';
import { progressLine } from '../../training/progress.js';
import { registerJob } from '../../training/register.js';
import { TERMINAL, type DataSet, type JobRecord, type ModelRole } from '../../training/types.js';
import { pollOnce, watchJob } from '../../training/watch.js';
import { CliExit } from '../exit.js';
import { write, type CliIO } from '../io.js';
import { contextFor, settingsFor } from '../context.js';
import { intOption } from '../params.js';

interface TrainFlags {
  style?: string;
  data?: string;
  destyler?: boolean;
  provider: string;
  baseModel?: string;
  epochs?: number;
  suffix?: string;
  watch?: boolean;
  use?: boolean;
  pollSeconds?: number;
  /** `--poll`, the old spelling of --poll-seconds (hidden). */
  poll?: number;
  out?: string;
  json?: boolean;
}

function pollOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new RestyleError('usage', `--poll-seconds ${value}: expected a number of seconds > 0`);
  return n;
}

/** `--poll`: the old name of --poll-seconds (as `corpus build` spells it), still accepted, not shown. */
const hiddenPoll = (): Option => new Option('--poll <seconds>').argParser(pollOption).hideHelp();

const role = (destyler?: boolean): ModelRole => (destyler ? 'destyler' : 'styler');

const DEFAULT_POLL_SECONDS = 30;

/**
 * A subcommand's options. `train` itself has options of the same names (--style, --json, --poll…), and
 * commander hands those to the parent even when written after the subcommand, so read both: the
 * subcommand's own values first, then the parent's.
 */
function subOpts<T extends object>(cmd: Command): Partial<T> {
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...defined(cmd.parent?.opts() ?? {}), ...defined(cmd.opts()) } as Partial<T>;
}

/** The openai provider at a job's endpoint (or the default one for new jobs). */
function openaiFor(ctx: AppContext, io: CliIO, job?: Pick<JobRecord, 'baseUrl' | 'apiKeyEnv'>): OpenAIProvider {
  const endpoint = job ? endpointFor(ctx.settings, job.baseUrl, job.apiKeyEnv, io.env) : ctx.settings.openai;
  return new OpenAIProvider(ctx.llm.get(endpoint), new JobStore(ctx.store));
}

function leakageLine(data: DataSet, report: LeakageReport): string | null {
  const found = report.sameOutput + report.sameInput + report.nearDuplicates;
  if (found === 0) return null;
  const shown = report.lines.slice(0, 5).join(', ');
  return `${data.shown.valid}: ${report.lines.length} of ${report.valid} validation example(s) share text with training (${report.sameOutput} same reply, ${report.sameInput} same input, ${report.nearDuplicates} overlapping; lines ${shown}${report.lines.length > 5 ? ', …' : ''}): validation loss will look better than it is — rebuild the corpus split by source document`;
}

async function leakageOf(data: DataSet): Promise<LeakageReport | null> {
  if (!data.valid) return null;
  return checkLeakage(await readExamples(data.train, data.shown.train), await readExamples(data.valid, data.shown.valid));
}

/** Follow a job to its end with output, registering the model on success; Ctrl-C detaches. */
async function follow(ctx: AppContext, io: CliIO, job: JobRecord, pollSeconds: number): Promise<JobRecord> {
  const provider = openaiFor(ctx, io, job);
  const jobs = new JobStore(ctx.store);
  const registry = new ModelRegistry(ctx.store, verifierFor(ctx.settings, ctx.llm, io.env));
  const printer = watchPrinter(io.stderr);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await watchJob(provider, jobs, job.id, {
      pollMs: pollSeconds * 1000,
      signal: abort.signal,
      fallbackDir: io.cwd,
      onUpdate: (u) => printer.update(u),
      onSucceeded: async (done) => {
        printer.end();
        if (!done.style) {
          write(io.stderr, `job ${done.id} succeeded: ${done.fineTunedModel} (not registered: no style; restyle models add STYLE --model ${done.fineTunedModel})`);
          return null;
        }
        try {
          const { entry, activated } = await registerJob(done, registry);
          const inUse = activated || (await registry.active(done.style, done.role))?.id === entry.id;
          write(
            io.stderr,
            `registered ${done.style} ${done.role} #${entry.id}: ${entry.model}${inUse ? ' (in use)' : ` — not in use yet: evaluate it (restyle eval --style ${done.style} --data … --against ${entry.model}), then restyle models use ${done.style}${done.role === 'destyler' ? ' --destyler' : ''} ${entry.id}`}`,
          );
          return entry.id;
        } catch (error) {
          write(io.stderr, `warning: job ${done.id} succeeded but its model was not registered: ${toRestyleError(error).message} (retry: restyle train watch ${done.id})`);
          return null;
        }
      },
    });
    printer.end();
    if (result.detached) {
      write(io.stderr, `stopped watching; job ${job.id} keeps running — resume with: restyle train watch ${job.id}`);
      return result.job;
    }
    for (const line of jobReport(result.job, result.findings, result.svg && displayPath(result.svg, io.cwd))) write(io.stderr, line);
    write(io.stdout, `${result.job.id} ${result.job.status}${result.job.fineTunedModel ? ` ${result.job.fineTunedModel}` : ''}`);
    if (result.job.status === 'cancelled') throw new CliExit(1);
    return result.job;
  } catch (error) {
    printer.end();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** The stored record for a job, adopting it from the API when restyle doesn't know it yet. */
async function recordFor(ctx: AppContext, io: CliIO, id: string, given: { style?: string; role?: ModelRole } = {}): Promise<JobRecord> {
  const jobs = new JobStore(ctx.store);
  const known = await jobs.get(id);
  if (known) return given.style && !known.style ? { ...known, style: given.style, role: given.role ?? known.role } : known;
  const provider = openaiFor(ctx, io);
  const remote = await provider.retrieve(id);
  if (given.style) getStyle(ctx.settings, given.style);
  const record = adoptJob(remote, { baseUrl: provider.baseUrl, apiKeyEnv: ctx.settings.openai.apiKeyEnv, provider: 'openai' }, given);
  await jobs.save(record);
  return record;
}

export function registerTrain(program: Command, io: CliIO): void {
  const train = program
    .command('train')
    .description("fine-tune a style's styler (or --destyler) on a corpus built by `restyle corpus build`")
    .option('-s, --style <name>', 'the style to train')
    .option('--data <dir>', 'the corpus folder from restyle corpus build (train.jsonl, valid.jsonl, destyle.*.jsonl; a file in it works too)')
    .option('--destyler', 'train the de-styler (destyle.train.jsonl / destyle.valid.jsonl)')
    .option('--provider <name>', 'openai (fine-tuning API) or export (files + LoRA configs for training elsewhere)', 'openai')
    .option('--base-model <model>', 'the model to fine-tune (openai: gpt-4.1-mini-2025-04-14; export: Qwen/Qwen2.5-7B-Instruct)')
    .option('--epochs <n>', 'epochs (default: the provider picks; export: 3)', intOption('--epochs'))
    .option('--suffix <text>', 'name part of the fine-tuned model (default: the style name)')
    .option('--watch', 'follow the job: progress, loss curves (terminal and SVG next to the data), registry entry')
    .option('--use', 'make the trained model the style\'s model as soon as the job succeeds')
    .option('--poll-seconds <n>', 'how often to check the job (default 30)', pollOption)
    .addOption(hiddenPoll())
    .option('--out <dir>', 'export: where to write (default: DIR/export/styler or destyler)')
    .option('--json', 'print the job (or export) as JSON')
    .action(async function (this: Command, flags: TrainFlags) {
      await startTraining(this, io, flags);
    });

  registerStatus(train, io);
  registerWatch(train, io);
  registerCancel(train, io);
  registerCheckpoints(train, io);
  registerCheck(train, io);
}

/** `restyle train --style S --data DIR`: check the data, then export it or start (and maybe follow) a job. */
async function startTraining(cmd: Command, io: CliIO, flags: TrainFlags): Promise<void> {
  if (!flags.style || !flags.data) throw new RestyleError('usage', 'train needs --style NAME and --data DIR (or a subcommand: status, watch, cancel, checkpoints, check)');
  const provider = providerName(flags.provider);
  const settings: Settings = settingsFor(cmd, io);
  const style = getStyle(settings, flags.style);
  const r = role(flags.destyler);
  const data = await loadDataSet(flags.data, r, style, io.cwd);
  for (const w of data.warnings) write(io.stderr, `warning: ${w}`);
  const leak = await leakageOf(data);
  const leakLine = leak && leakageLine(data, leak);
  if (leakLine) write(io.stderr, `warning: ${leakLine}`);
  write(io.stderr, `data: ${data.examples.train} train + ${data.examples.valid} valid examples, prompt ${data.promptHash}, data ${data.dataHash}`);
  const request = { style, role: r, data, baseModel: flags.baseModel, epochs: flags.epochs, suffix: flags.suffix ?? (r === 'styler' ? style.name : `${style.name}-destyle`), use: flags.use };

  if (provider === 'export') {
    const outcome = await new ExportProvider({ ...(flags.out ? { outDir: resolve(io.cwd, flags.out) } : {}), cwd: io.cwd }).start(request);
    if (outcome.kind !== 'export') return;
    if (flags.json) write(io.stdout, JSON.stringify(outcome, null, 2));
    else write(io.stdout, outcome.dir);
    write(io.stderr, `exported ${outcome.files.length} files to ${outcome.dir}`);
    for (const n of outcome.next) write(io.stderr, `  ${n}`);
    return;
  }

  requireApiKey(settings.openai);
  const ctx = await contextFor(cmd, io, settings, { registry: 'off' });
  try {
    const outcome = await openaiFor(ctx, io).start(request);
    if (outcome.kind !== 'job') return;
    const job = outcome.job;
    write(io.stderr, `started ${job.id}: ${job.baseModel} → ${style.name} ${r} at ${job.baseUrl}`);
    if (!flags.watch) {
      if (flags.json) write(io.stdout, JSON.stringify(job, null, 2));
      else write(io.stdout, job.id);
      write(io.stderr, `follow it: restyle train watch ${job.id}   (status: restyle train status ${job.id})`);
      return;
    }
    const done = await follow(ctx, io, job, flags.pollSeconds ?? flags.poll ?? DEFAULT_POLL_SECONDS);
    if (flags.json) write(io.stdout, JSON.stringify(done, null, 2));
  } finally {
    await ctx.close();
  }
}

/** `train status [JOB]`. */
function registerStatus(train: Command, io: CliIO): void {
  train
    .command('status')
    .description('the jobs restyle knows, or one job in detail (any job id of this account)')
    .argument('[job]', 'a fine-tuning job id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string | undefined) {
      const opts = subOpts<{ json: boolean }>(this);
      const ctx = await contextFor(this, io, undefined, { registry: 'off' });
      try {
        const jobs = new JobStore(ctx.store);
        if (!id) {
          const list = await jobs.list();
          if (opts.json) return write(io.stdout, JSON.stringify(list, null, 2));
          if (list.length === 0) return write(io.stdout, 'no training jobs yet (restyle train --style NAME --data DIR)');
          for (const j of list) {
            const fresh = TERMINAL.has(j.status) ? j : (await pollOnce(openaiFor(ctx, io, j), jobs, j)).job;
            write(io.stdout, `${fresh.id}  ${(fresh.style ?? '?').padEnd(12)} ${fresh.role.padEnd(8)} ${fresh.status.padEnd(16)} ${fresh.fineTunedModel ?? ''}`.trimEnd());
          }
          return;
        }
        let job = await recordFor(ctx, io, id);
        if (!TERMINAL.has(job.status) || job.checkpoints.length === 0) job = (await pollOnce(openaiFor(ctx, io, job), jobs, job)).job;
        if (opts.json) return write(io.stdout, JSON.stringify(job, null, 2));
        write(io.stdout, progressLine(job));
        for (const m of job.log.slice(-5)) write(io.stdout, `  ${m}`);
        if (job.error) write(io.stdout, `  error: ${job.error.code}: ${job.error.message}`);
        for (const line of jobReport(job, TERMINAL.has(job.status) ? analyseCurves(job.metrics, job.checkpoints) : [], null)) write(io.stdout, line);
      } finally {
        await ctx.close();
      }
    });
}

/** `train watch [JOB]`: resume following after a restart. */
function registerWatch(train: Command, io: CliIO): void {
  train
    .command('watch')
    .description('resume following a job (or every unfinished job restyle started) after a restart')
    .argument('[job]', 'a fine-tuning job id (default: all unfinished ones)')
    .option('-s, --style <name>', 'for a job restyle did not start: the style to register its model under')
    .option('--destyler', 'for a job restyle did not start: it trains a de-styler')
    .option('--poll-seconds <n>', 'how often to check (default 30)', pollOption)
    .addOption(hiddenPoll())
    .action(async function (this: Command, id: string | undefined) {
      const opts = subOpts<{ style: string; destyler: boolean; poll: number; pollSeconds: number }>(this);
      const ctx = await contextFor(this, io, undefined, { registry: 'off' });
      try {
        const jobs = new JobStore(ctx.store);
        const targets = id
          ? [await recordFor(ctx, io, id, { ...(opts.style ? { style: opts.style } : {}), ...(opts.destyler ? { role: 'destyler' as const } : {}) })]
          : (await jobs.list()).filter((j) => !TERMINAL.has(j.status) || (j.status === 'succeeded' && j.registered === null && j.style)).reverse();
        if (targets.length === 0) return write(io.stderr, 'no unfinished jobs to watch (restyle train status lists them all)');
        for (const job of targets) {
          await jobs.save(job);
          write(io.stderr, `watching ${job.id} (${job.style ?? 'no style'} ${job.role})${job.metrics.length ? `, resuming after step ${job.metrics.at(-1)!.step}` : ''}`);
          await follow(ctx, io, job, opts.pollSeconds ?? opts.poll ?? DEFAULT_POLL_SECONDS);
        }
      } finally {
        await ctx.close();
      }
    });
}

/** `train cancel JOB`. */
function registerCancel(train: Command, io: CliIO): void {
  train
    .command('cancel')
    .description('cancel a running job')
    .argument('<job>', 'a fine-tuning job id')
    .action(async function (this: Command, id: string) {
      const ctx = await contextFor(this, io, undefined, { registry: 'off' });
      try {
        const jobs = new JobStore(ctx.store);
        const known = await jobs.get(id);
        const provider = openaiFor(ctx, io, known);
        const remote = await provider.cancel(id);
        if (known) await jobs.save({ ...known, status: remote.status });
        write(io.stdout, `${id} ${remote.status}`);
      } finally {
        await ctx.close();
      }
    });
}

/** `train checkpoints JOB`. */
function registerCheckpoints(train: Command, io: CliIO): void {
  train
    .command('checkpoints')
    .description('list a job\'s checkpoints, recommend one, and warn about overfitting or leakage')
    .argument('<job>', 'a fine-tuning job id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string) {
      const opts = subOpts<{ json: boolean }>(this);
      const ctx = await contextFor(this, io, undefined, { registry: 'off' });
      try {
        const jobs = new JobStore(ctx.store);
        let job = await recordFor(ctx, io, id);
        job = (await pollOnce(openaiFor(ctx, io, job), jobs, job)).job;
        if (!TERMINAL.has(job.status)) job = { ...job, checkpoints: await openaiFor(ctx, io, job).checkpoints(id) };
        const findings = analyseCurves(job.metrics, job.checkpoints);
        if (opts.json) return write(io.stdout, JSON.stringify({ checkpoints: job.checkpoints, findings }, null, 2));
        if (job.checkpoints.length === 0) write(io.stdout, `${id}: no checkpoints yet (${job.status})`);
        else for (const line of checkpointTable(job)) write(io.stdout, line);
        for (const f of findings) write(io.stdout, `warning: ${f.message}`);
      } finally {
        await ctx.close();
      }
    });
}

/** `train check`: the data alone. */
function registerCheck(train: Command, io: CliIO): void {
  train
    .command('check')
    .description('check training data without training: files, prompt match, and train/valid leakage')
    .option('-s, --style <name>', 'the style')
    .option('--data <dir>', 'the corpus folder from restyle corpus build (a file in it works too)')
    .option('--destyler', 'check the de-styler files')
    .action(async function (this: Command) {
      const opts = subOpts<{ style: string; data: string; destyler: boolean }>(this);
      if (!opts.style || !opts.data) throw new RestyleError('usage', 'train check needs --style NAME and --data DIR');
      const settings = settingsFor(this, io);
      const data = await loadDataSet(opts.data, role(opts.destyler), getStyle(settings, opts.style), io.cwd);
      for (const w of data.warnings) write(io.stdout, `warning: ${w}`);
      write(io.stdout, `✓ ${data.shown.train}${data.shown.valid ? ` and ${data.shown.valid}` : ''}: ${data.examples.train} + ${data.examples.valid} valid examples, every prompt matches styles.${opts.style} (${data.promptHash})`);
      const leak = await leakageOf(data);
      const line = leak && leakageLine(data, leak);
      if (line) {
        write(io.stdout, `✗ ${line}`);
        throw new CliExit(1);
      }
      if (leak) write(io.stdout, `✓ no validation example shares text with training (split ${data.split ?? 'unknown'})`);
    });
}
