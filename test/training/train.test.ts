import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { openStore } from '../../src/store/index.js';
import { JobStore } from '../../src/training/jobs.js';
import { OpenAIProvider } from '../../src/training/openai/provider.js';
import { loadDataSet } from '../../src/training/dataset.js';
import { watchJob } from '../../src/training/watch.js';
import type { JobRecord } from '../../src/training/types.js';
import { RestyleError } from '../../src/errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { installFineTuning, type FakeFineTuning } from '../fakes/openai-finetune.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { writeCorpus } from './corpus.js';

let fake: FakeOpenAI;
let ft: FakeFineTuning;
let cwd: string;

const CONFIG = 'styles:\n  pirate:\n    model: gpt-4.1-mini\n';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  ft = installFineTuning(fake, { stepsPerEpoch: 4, stepsPerPoll: 3 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  ft.setMode('ok');
  ft.setCurve('good');
  cwd = tmpDir('train');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), CONFIG);
  writeCorpus(join(cwd, 'corpus'));
});

const env = (key = 'sk-train', dataDir = 'data') => ({ OPENAI_API_KEY: key, OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: join(cwd, dataDir) });
const run = (args: string[], key?: string, dataDir?: string) => runInProcess(args, { env: env(key, dataDir), cwd });
const oneLine = (s: string) => s.trim().split('\n').filter((l) => l.startsWith('restyle:'));

describe('restyle train (openai provider, against the fake fine-tuning API)', () => {
  it('--watch: uploads, creates the job, follows it with progress and curves, writes the SVG, registers the model', async () => {
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus', '--epochs', '3', '--watch', '--poll-seconds', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    const job = [...ft.jobs.values()].at(-1)!;
    expect(r.stdout.trim()).toBe(`${job.id} succeeded ${job.fine_tuned_model}`);
    // What reached the API: the validated files, byte for byte, and a supervised job named after the style.
    const uploads = ft.files.withPurpose('fine-tune');
    expect(uploads.map((f) => f.content.toString('utf8'))).toEqual([readFileSync(join(cwd, 'corpus/train.jsonl'), 'utf8'), readFileSync(join(cwd, 'corpus/valid.jsonl'), 'utf8')]);
    expect(job.request).toMatchObject({ model: 'gpt-4.1-mini-2025-04-14', suffix: 'pirate', method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } } });
    expect(job.request.metadata).toMatchObject({ restyle_style: 'pirate', restyle_role: 'styler' });
    // Progress, events and the end report on stderr.
    expect(r.stderr).toContain(`started ${job.id}: gpt-4.1-mini-2025-04-14 → pirate styler`);
    expect(r.stderr).toMatch(new RegExp(`${job.id} · running · step \\d+/12 \\(\\d+%\\) · train \\d\\.\\d{3} · valid \\d\\.\\d{3}`));
    expect(r.stderr).toContain('  Fine-tuning job started');
    expect(r.stderr).toContain('· training loss   • validation loss   ◆ full validation loss');
    expect(r.stderr).toMatch(/recommended: step 12 \(lowest full validation loss, [\d.]+\) = the final model ft:/);
    expect(r.stderr).not.toContain('warning:');
    // The SVG next to the data, with every step drawn.
    const svg = readFileSync(join(cwd, 'corpus/styler-loss.svg'), 'utf8');
    expect(/<polyline class="train"[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ')).toHaveLength(12);
    expect(svg.match(/class="full-valid-point"/g)).toHaveLength(3);
    expect(r.stderr).toContain('loss curves: ');
    // Registered (not yet in use: eval first) with model, base, endpoint, hashes, metrics.
    expect(r.stderr).toMatch(new RegExp(`registered pirate styler #1: ${job.fine_tuned_model!.replace(/[.:]/g, '\\$&')} — not in use yet`));
    const list = await run(['models', 'list', 'pirate', '--json']);
    const [record] = JSON.parse(list.stdout);
    expect(record.active).toBeNull();
    const check = await run(['train', 'check', '--style', 'pirate', '--data', 'corpus']);
    const hash = /\(([0-9a-f]{16})\)/.exec(check.stdout)![1];
    expect(record.entries[0]).toMatchObject({ id: 1, model: job.fine_tuned_model, baseModel: 'gpt-4.1-mini-2025-04-14', baseUrl: fake.url, apiKeyEnv: 'OPENAI_API_KEY', promptHash: hash, promptHashFrom: 'training', jobId: job.id, source: 'job' });
    expect(record.entries[0].dataHash).toMatch(/^[0-9a-f]{16}$/);
    expect(record.entries[0].metrics).toMatchObject({ steps: 12, trainedTokens: 12000, bestCheckpointStep: 12 });
    expect(record.entries[0].metrics.fullValidLoss).toBeGreaterThan(0);
  });

  it('--use activates the model on success; a re-run does not upload the same files again', async () => {
    const first = await run(['train', '--style', 'pirate', '--data', 'corpus', '--watch', '--use', '--poll', '0.01']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/registered pirate styler #1: \S+ \(in use\)/);
    const uploads = ft.files.withPurpose('fine-tune').length;
    const second = await run(['train', '--style', 'pirate', '--data', 'corpus', '--destyler']);
    expect(second.code, second.stderr).toBe(0);
    const third = await run(['train', '--style', 'pirate', '--data', 'corpus']);
    expect(third.code, third.stderr).toBe(0);
    // The de-styler uploaded its own two files; the styler re-run reused the earlier uploads.
    expect(ft.files.withPurpose('fine-tune').length).toBe(uploads + 2);
    const last = [...ft.jobs.values()].at(-1)!;
    expect(last.training_file).toBe([...ft.jobs.values()].at(-3)!.training_file);
  });

  it('watching resumes after a restart from the last event seen, and registers at the end', async () => {
    const started = await run(['train', '--style', 'pirate', '--data', 'corpus']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(started.stderr).toContain(`follow it: restyle train watch ${id}`);

    // A first watcher, stopped (Ctrl-C) part-way, with its own store connection.
    const settings = settingsFrom({ styles: { pirate: { model: 'gpt-4.1-mini' } } }, env(), cwd);
    const store = await openStore(settings.store);
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    const jobs = new JobStore(store);
    const stop = new AbortController();
    const first = await watchJob(new OpenAIProvider(pool.get(settings.openai), jobs), jobs, id, {
      pollMs: 1,
      signal: stop.signal,
      fallbackDir: cwd,
      onUpdate: ({ job }) => {
        if ((job.metrics.at(-1)?.step ?? 0) >= 6) stop.abort();
      },
    });
    await store.close();
    expect(first.detached).toBe(true);
    expect(first.job.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first.job.status).toBe('running');

    // "Restart": a new process resumes every unfinished job from the store.
    const resumed = await run(['train', 'watch', '--poll-seconds', '0.01']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`watching ${id} (pirate styler), resuming after step 6`);
    expect(resumed.stderr).toMatch(/registered pirate styler #1/);
    const status = await run(['train', 'status', id, '--json']);
    const job = JSON.parse(status.stdout) as JobRecord;
    expect(job.status).toBe('succeeded');
    expect(job.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Every event was taken once: no duplicates after the resume.
    expect(job.log.filter((m) => m === 'Fine-tuning job started')).toHaveLength(1);
    expect(job.log.filter((m) => m.startsWith('Checkpoint created at step'))).toHaveLength(3);
    expect(job.registered).toBe(1);
    // Nothing left to watch.
    const again = await run(['train', 'watch']);
    expect(again.stderr).toContain('no unfinished jobs to watch');
  });

  it('keeps watching through transient API errors', async () => {
    const id = (await run(['train', '--style', 'pirate', '--data', 'corpus'])).stdout.trim();
    fake.failNext(2, { status: 503 });
    fake.dropNext(1);
    const r = await run(['train', 'watch', id, '--poll', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${id} succeeded ft:`));
    expect(fake.requests.filter((q) => q.fault).length).toBe(3);
  });

  it('adopts a job restyle did not start: --style after the subcommand registers its model', async () => {
    const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'sk-train' });
    const file = await sdk.files.create({ file: await OpenAI.toFile(readFileSync(join(cwd, 'corpus/train.jsonl')), 'train.jsonl'), purpose: 'fine-tune' });
    const job = await sdk.fineTuning.jobs.create({ training_file: file.id, model: 'gpt-4.1-mini-2025-04-14', suffix: 'elsewhere' });
    const r = await run(['train', 'watch', job.id, '--style', 'pirate', '--poll-seconds', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`watching ${job.id} (pirate styler)`);
    expect(r.stderr).toMatch(/registered pirate styler #1: ft:gpt-4\.1-mini-2025-04-14:fake-org:elsewhere:/);
    // Without a style it is followed, but not registered.
    const other = await sdk.fineTuning.jobs.create({ training_file: file.id, model: 'gpt-4.1-mini-2025-04-14' });
    const r2 = await run(['train', 'watch', other.id, '--poll', '0.01']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/succeeded: \S+ \(not registered: no style; restyle models add STYLE --model/);
  });

  it('status lists jobs and shows one in detail; cancel stops a running job', async () => {
    const a = (await run(['train', '--style', 'pirate', '--data', 'corpus'])).stdout.trim();
    const b = (await run(['train', '--style', 'pirate', '--data', 'corpus', '--destyler'])).stdout.trim();
    ft.advance(a, 3);
    const list = await run(['train', 'status']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${b}\\s+pirate\\s+destyler\\s+(validating_files|queued)`));
    expect(list.stdout).toMatch(new RegExp(`${a}\\s+pirate\\s+styler\\s+running`));

    const cancel = await run(['train', 'cancel', a]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout.trim()).toBe(`${a} cancelled`);
    expect(ft.jobs.get(a)!.status).toBe('cancelled');
    const detail = await run(['train', 'status', a]);
    expect(detail.stdout).toMatch(new RegExp(`^${a} · cancelled · step \\d+/12`));
    expect(detail.stdout).toContain('Fine-tuning job cancelled');
    // Cancelling twice is the provider's one-line error.
    const twice = await run(['train', 'cancel', a]);
    expect(twice.code).toBe(1);
    expect(oneLine(twice.stderr)).toHaveLength(1);
    expect(twice.stderr).toMatch(/has already been cancelled/);
  });

  it('warns about overfitting and recommends the earlier checkpoint', async () => {
    ft.setCurve('overfit');
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus', '--watch', '--poll', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: overfitting: validation loss rose from [\d.]+ at step 4 to [\d.]+ at step 12 while training loss fell/);
    expect(r.stderr).toMatch(/recommended: step 4 \(lowest full validation loss/);
    expect(r.stderr).toMatch(/use it: restyle models add pirate --model ft:\S+:ckpt-step-4/);
    const cps = await run(['train', 'checkpoints', [...ft.jobs.keys()].at(-1)!]);
    expect(cps.stdout).toMatch(/★\s+4 /);
  });

  it('warns when validation loss is implausibly low and points at the leakage check', async () => {
    ft.setCurve('leak');
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus', '--watch', '--poll', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: validation loss 0\.00\d+ is implausibly low .* restyle train check --style pirate --data \S+corpus .*split by source document/);
  });

  it('403 training_not_available: one line with the next step (--provider export), nothing stored', async () => {
    ft.setMode('training_not_available');
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/restyle: .*refused to fine-tune \(403 training_not_available.*Next: restyle train --provider export --style pirate --data corpus/);
    expect((await run(['train', 'status'])).stdout).toContain('no training jobs yet');
  });

  it('a server that answers every route with 200 (a chat-only proxy) is never read as an upload or a started job', async () => {
    // What such a server sends back for POST /files and POST /fine_tuning/jobs: a chat completion.
    const proxy = await startFakeOpenAI();
    const completion = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x', choices: [] };
    let upload: unknown = completion;
    proxy.route('POST', /^\/v1\/files$/, () => upload);
    proxy.route('POST', /^\/v1\/fine_tuning\/jobs$/, () => completion);
    try {
      const r = await runInProcess(['train', '--style', 'pirate', '--data', 'corpus'], { env: { ...env(), OPENAI_BASE_URL: proxy.url }, cwd });
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^restyle: .*: POST \/files answered a "chat\.completion" object, not a file: does it serve OpenAI's Files API\?$/)]);
      expect(r.stdout).not.toMatch(/started/);
      expect((await run(['train', 'status'])).stdout).toContain('no training jobs yet');
      // Past an upload that looks right, the job's answer is checked the same way.
      upload = { id: 'file-1', object: 'file', purpose: 'fine-tune' };
      const job = await runInProcess(['train', '--style', 'pirate', '--data', 'corpus'], { env: { ...env(), OPENAI_BASE_URL: proxy.url }, cwd });
      expect(job.code).toBe(1);
      expect(job.stderr).toMatch(/POST \/fine_tuning\/jobs answered a "chat\.completion" object, not a fine_tuning\.job/);
      expect((await run(['train', 'status'])).stdout).toContain('no training jobs yet');
    } finally {
      await proxy.close();
    }
  });

  it('quota exceeded: one line naming billing and the export route', async () => {
    ft.setMode('quota');
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/quota exceeded .* Next: raise the limit or add credit .* --provider export/);
  });

  it('an invalid file is refused before anything is uploaded, naming the line', async () => {
    const file = join(cwd, 'corpus/valid.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[3] = '{"messages": "not a list"}';
    writeFileSync(file, lines.join('\n'));
    const r = await run(['train', '--style', 'pirate', '--data', 'corpus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('restyle: corpus/valid.jsonl:4: missing "messages" list');
    expect(fake.requestsTo('/files')).toHaveLength(0);
  });

  it('a file the provider rejects while validating fails the job with the file and line', async () => {
    const settings = settingsFrom({ styles: { pirate: { model: 'gpt-4.1-mini' } } }, env(), cwd);
    const store = await openStore(settings.store);
    try {
      const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
      const jobs = new JobStore(store);
      const provider = new OpenAIProvider(pool.get(settings.openai), jobs);
      const data = await loadDataSet('corpus', 'styler', settings.styles.pirate!, cwd);
      // Corrupt the file after our own checks, as if it changed on disk between check and upload.
      const lines = readFileSync(data.train, 'utf8').split('\n');
      lines[1] = '{"prompt": "completion-style line"}';
      writeFileSync(data.train, lines.join('\n'));
      const outcome = await provider.start({ style: settings.styles.pirate!, role: 'styler', data, suffix: 'pirate' });
      expect(outcome.kind).toBe('job');
      const id = outcome.kind === 'job' ? outcome.job.id : '';
      const error = await watchJob(provider, jobs, id, { pollMs: 1, fallbackDir: cwd }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestyleError);
      expect((error as RestyleError).code).toBe('file_invalid');
      expect((error as RestyleError).message).toMatch(new RegExp(`^corpus/train\\.jsonl:2: job ${id} failed: The job failed due to an invalid training file\\. Invalid file format\\. Line 2`));
      expect((await jobs.get(id))!.status).toBe('failed');
    } finally {
      await store.close();
    }
  });

  it('a job id of another account is a one-line not-found error', async () => {
    const mine = (await run(['train', '--style', 'pirate', '--data', 'corpus'], 'sk-account-a', 'data-a')).stdout.trim();
    expect(mine).toMatch(/^ftjob-/);
    for (const args of [['train', 'status', mine], ['train', 'watch', mine], ['train', 'cancel', mine]]) {
      const r = await run(args, 'sk-account-b', 'data-b');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^restyle: fine-tuning job ${mine} was not found at .*: it does not exist or belongs to another account`));
    }
    expect(ft.jobs.get(mine)!.status).not.toBe('cancelled');
  });

  it('bad input: unknown provider, missing data files, missing flags, unknown style', async () => {
    const provider = await run(['train', '--style', 'pirate', '--data', 'corpus', '--provider', 'sagemaker']);
    expect(provider.code).toBe(2);
    expect(provider.stderr.trim()).toBe('restyle: --provider sagemaker: unknown training provider; known: openai, export');
    mkdirSync(join(cwd, 'empty'));
    const empty = await run(['train', '--style', 'pirate', '--data', 'empty']);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('restyle: empty has no train.jsonl (expected the output of restyle corpus build --out DIR)');
    const none = await run(['train', '--style', 'pirate', '--data', 'missing']);
    expect(none.stderr.trim()).toMatch(/^restyle: missing: no such directory/);
    const flags = await run(['train', '--data', 'corpus']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/train needs --style NAME and --data DIR/);
    const style = await run(['train', '--style', 'ghost', '--data', 'corpus']);
    expect(style.code).toBe(2);
    expect(style.stderr.trim()).toBe('restyle: unknown style "ghost"; known styles: pirate');
    const key = await runInProcess(['train', '--style', 'pirate', '--data', 'corpus'], { env: { RESTYLE_DATA_DIR: join(cwd, 'data') }, cwd });
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/\nrestyle: OPENAI_API_KEY is not set: export it or put it in \.env/);
    expect(fake.requestsTo('/files')).toHaveLength(0);
  });

  it('train check: ✓ for a clean split, ✗ (exit 1) when validation shares text with training', async () => {
    const clean = await run(['train', 'check', '--style', 'pirate', '--data', 'corpus']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/✓ corpus\/train\.jsonl and corpus\/valid\.jsonl: 24 \+ 6 valid examples, every prompt matches styles\.pirate/);
    expect(clean.stdout).toContain('✓ no validation example shares text with training (split document)');
    writeCorpus(join(cwd, 'leaky'), { leak: true });
    const leaky = await run(['train', 'check', '--style', 'pirate', '--data', 'leaky']);
    expect(leaky.code).toBe(1);
    expect(leaky.stdout).toMatch(/✗ leaky\/valid\.jsonl: 6 of 6 validation example\(s\) share text with training \(6 same reply/);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});

describe('the fake fine-tuning API through the real SDK', () => {
  it('pages events newest first and lists the model once the job succeeds', async () => {
    const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'sk-sdk' });
    const file = await sdk.files.create({ file: await OpenAI.toFile(Buffer.from('{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\n'), 'x.jsonl'), purpose: 'fine-tune' });
    const job = await sdk.fineTuning.jobs.create({ training_file: file.id, model: 'gpt-4.1-mini-2025-04-14', suffix: 'sdk' });
    expect((await sdk.models.list()).data.map((m) => m.id)).not.toContain(job.fine_tuned_model);
    let status = job.status;
    while (status !== 'succeeded') status = (await sdk.fineTuning.jobs.retrieve(job.id)).status;
    const done = await sdk.fineTuning.jobs.retrieve(job.id);
    const events = [];
    for await (const e of sdk.fineTuning.jobs.listEvents(job.id, { limit: 2 })) events.push(e);
    expect(events.length).toBe(ft.jobs.get(job.id)!.events.length);
    expect(events[0]!.message).toBe('The job has successfully completed');
    expect(events.at(-1)!.message).toBe(`Created fine-tuning job: ${job.id}`);
    const checkpoints = [];
    for await (const c of sdk.fineTuning.jobs.checkpoints.list(job.id)) checkpoints.push(c);
    expect(checkpoints.map((c) => c.step_number)).toEqual([12, 8, 4]);
    expect(checkpoints[0]!.metrics.full_valid_loss).toBeGreaterThan(0);
    expect((await sdk.models.list()).data.map((m) => m.id)).toContain(done.fine_tuned_model);
    await expect(new OpenAI({ baseURL: fake.url, apiKey: 'sk-other' }).fineTuning.jobs.retrieve(job.id)).rejects.toMatchObject({ status: 404 });
  });
});
