import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEFAULT_EDITOR_PROMPT } from '../../config/defaults.js';
import { getStyle } from '../../config/load.js';
import { buildCorpus, type BuildReport } from '../../corpus/build.js';
import { validateJsonl } from '../../corpus/validate.js';
import { runBatch } from '../../corpus/batch.js';
import { RestyleError } from '../../errors.js';
import { CliExit } from '../exit.js';
import type { Sample } from '../../samples/types.js';
import type { Store } from '../../store/types.js';
import { write, type CliIO } from '../io.js';
import { contextFor, settingsFor } from '../context.js';
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
}

export function registerCorpus(program: Command, io: CliIO): void {
  const corpus = program.command('corpus').description('build fine-tuning data from text written in a style');
  corpus
    .command('build')
    .description('chunk styled text, strip the style with an editor model, write styler and de-styler JSONL')
    .option('--in <path...>', '.txt/.md files or directories (recursive), .jsonl with a "text" field, a Slack export (folder or .zip), DiscordChatExporter .json')
    .requiredOption('--out <dir>', 'output directory')
    .requiredOption('--style <name>', 'the style the text is written in')
    .option('--valid-fraction <f>', 'share of source documents held out for validation', fractionOption('--valid-fraction'), 0.1)
    .option('--seed <n>', 'seed for the train/valid split', intOption('--seed', 0), 1)
    .option('--concurrency <n>', 'editor requests in flight', intOption('--concurrency'), 8)
    .option('--editor-model <model>', 'the model that strips the style (default: corpus.editorModel)')
    .option('--params <names>', 'style parameters to extract first, comma-separated (e.g. tone,mood); the style prompt must use {{name}}')
    .option('--from-store', "add the samples people approved in chat for this style (the bot's store)")
    .option('--author <id>', 'from chat exports, keep only this user (Slack user id, Discord user id or name)')
    .option('--rpm <n>', "the provider's requests-per-minute limit", intOption('--rpm'))
    .option('--tpm <n>', "the provider's tokens-per-minute limit", intOption('--tpm'))
    .option('--batch', 'send the editor requests through the Batch API (half the price, up to 24 h)')
    .option('--poll-seconds <n>', 'how often to check a batch', intOption('--poll-seconds'), 30)
    .option('--json', 'print report.json to stdout')
    .action(async function (this: Command, flags: BuildFlags) {
      if (!flags.in?.length && !flags.fromStore) throw new RestyleError('usage', 'nothing to build from: pass --in PATH… and/or --from-store');
      const settings = settingsFor(this, io);
      // The run's own limits: concurrency, RPM and TPM are shared by every request of this build.
      settings.llm = { concurrency: flags.concurrency, rpm: flags.rpm ?? settings.llm.rpm, tpm: flags.tpm ?? settings.llm.tpm };
      const ctx = await contextFor(this, io, settings);
      try {
        const style = getStyle(ctx.settings, flags.style);
        const tty = Boolean((io.stderr as { isTTY?: boolean }).isTTY);
        const price = ctx.settings.corpus.editorPricePerMTok;
        const spend = (u: { promptTokens: number; completionTokens: number }): string => ((u.promptTokens * price.input + u.completionTokens * price.output) / 1e6).toFixed(2);
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: 'de-styling [{bar}] {value}/{total} blocks · {rate}/s · ETA {eta_formatted} · {tokens} tokens · ${spend}', stream: io.stderr, etaBuffer: 200 },
              cliProgress.Presets.shades_classic,
            )
          : null;
        const started = Date.now();
        let lastLogged = 0;
        const report = await buildCorpus({
          inputs: flags.in ?? [],
          batch: flags.batch
            ? (requests) =>
                runBatch(ctx.llm.get(ctx.settings.corpus.endpoint).sdk, requests, {
                  stateFile: join(flags.out, '.cache', 'batch.json'),
                  pollMs: flags.pollSeconds * 1000,
                  log: (line) => write(io.stderr, line),
                })
            : undefined,
          samples: flags.fromStore ? approvedSamples(ctx.store, style.name) : undefined,
          outDir: flags.out,
          style,
          editor: {
            model: flags.editorModel ?? ctx.settings.corpus.editorModel,
            prompt: ctx.settings.corpus.editorPrompt ?? DEFAULT_EDITOR_PROMPT,
            endpoint: ctx.settings.corpus.endpoint,
          },
          validFraction: flags.validFraction,
          seed: flags.seed,
          concurrency: flags.concurrency,
          author: flags.author,
          params: flags.params ? flags.params.split(',').map((p) => p.trim()).filter(Boolean) : undefined,
          pricePerMTok: ctx.settings.corpus.trainingPricePerMTok,
          cwd: io.cwd,
          chat: (endpoint, req) => ctx.llm.get(endpoint).chat(req),
          log: (line) => write(io.stderr, line),
          progress: (done, total, usage) => {
            const rate = (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
            const payload = { rate, tokens: usage.promptTokens + usage.completionTokens, spend: spend(usage) };
            if (bar) {
              if (done === 1) bar.start(total, 0, payload);
              bar.update(done, payload);
              if (done === total) bar.stop();
            } else if (done === total || done - lastLogged >= Math.max(1, Math.floor(total / 10))) {
              // Not a terminal (CI, a log file): a plain line every 10%.
              lastLogged = done;
              const eta = done === total ? 0 : Math.round(((total - done) * (Date.now() - started)) / done / 1000);
              write(io.stderr, `de-styling: ${done}/${total} blocks, ${rate}/s, ETA ${eta}s, ${payload.tokens} tokens, $${payload.spend}`);
            }
          },
        }).catch((error: unknown) => {
          bar?.stop();
          throw error;
        });
        if (flags.json) write(io.stdout, JSON.stringify(report, null, 2));
        for (const line of summary(report, flags.out)) write(io.stderr, line);
      } finally {
        await ctx.close();
      }
    });
  corpus
    .command('validate')
    .description("check a chat fine-tuning JSONL file the way OpenAI's cookbook does, line by line")
    .argument('<file>', 'a .jsonl file')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const path = resolve(io.cwd, file);
      if (!existsSync(path)) throw new RestyleError('file_not_found', `${file}: no such file`);
      const report = await validateJsonl(path, file);
      if (opts.json) write(io.stdout, JSON.stringify(report, null, 2));
      else {
        for (const i of report.issues) write(io.stdout, `${file}:${i.line}: ${i.problem}`);
        write(io.stdout, `${report.examples} example(s), ${report.issues.length} problem(s), ${report.tokens.total} tokens (max ${report.tokens.max} in one example)`);
      }
      if (report.issues.length > 0) throw new CliExit(1);
    });
}

/** Approved samples of one style, in id order so the same store gives the same files. */
async function* approvedSamples(store: Store, style: string): AsyncGenerator<{ id: string; channel: string; styled: string; neutral?: string }> {
  const found: Array<{ id: string; channel: string; styled: string; neutral?: string }> = [];
  for await (const [id, s] of store.ns<Sample>('samples').entries()) {
    if (s.status === 'approved' && s.style === style) found.push({ id, channel: s.channel, styled: s.styled, ...(s.kind === 'pair' && s.neutral ? { neutral: s.neutral } : {}) });
  }
  yield* found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function summary(r: BuildReport, out: string): string[] {
  const lines = [
    `corpus: ${r.documents} document(s), ${r.blocks} block(s) → ${r.examples.train} train + ${r.examples.valid} valid examples (split by ${r.split}) in ${out}`,
    `editor: ${r.requests} request(s), ${r.cachedResults} answer(s) reused from earlier runs, ${r.editorUsage.promptTokens + r.editorUsage.completionTokens} tokens`,
    `tokens per example: p50 ${r.tokensPerExample.p50}, p95 ${r.tokensPerExample.p95}, max ${r.tokensPerExample.max} (limit ${r.tokensPerExample.limit})`,
    `training: ${r.trainingTokensPerEpoch} tokens per epoch, about $${r.estimatedCostPerEpochUsd.toFixed(2)} per epoch`,
  ];
  for (const x of r.rejected) lines.push(`rejected: ${x.doc} block ${x.index}: ${x.reason}`);
  for (const x of r.failed) lines.push(`failed: ${x.doc} block ${x.index}: ${x.error}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines;
}
