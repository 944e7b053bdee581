/**
 * Fine-tuning routes for the fake OpenAI server (`fake.route`), driven through the real SDK:
 * `POST /fine_tuning/jobs`, `GET /fine_tuning/jobs[/:id]`, `POST …/cancel`, `GET …/events` (newest first,
 * cursor-paginated like the real API), `GET …/checkpoints`. A job moves one stage per `GET /fine_tuning/jobs/:id`
 * (each poll): validating_files → queued → running (steps advance, metrics events, a checkpoint with
 * `full_valid_loss` per epoch) → succeeded, when its model is added to `GET /models`. The uploaded training
 * file is really validated: a bad line fails the job with `invalid_training_file` naming the line.
 * Modes: `training_not_available` (403 on create, as OpenAI now answers many accounts) and `quota` (429
 * `insufficient_quota`). Jobs belong to the key that created them; another key gets 404, like another account.
 *
 * @example
 * const fake = await startFakeOpenAI();
 * const ft = installFineTuning(fake, { curve: 'overfit' });
 * ft.setMode('training_not_available');
 */
import { installFiles, type FakeFiles } from './openai-files.js';
import type { FakeOpenAI, RouteContext } from './openai.js';

export type CurveName = 'good' | 'overfit' | 'leak';
export type Curve = (step: number, total: number) => { train: number; valid: number };

export const CURVES: Record<CurveName, Curve> = {
  // Both fall and level off, valid a little above train.
  good: (s, t) => ({ train: 0.35 + 1.6 * Math.exp((-4 * s) / t), valid: 0.45 + 1.6 * Math.exp((-4 * s) / t) }),
  // Train keeps falling; valid bottoms out a third of the way in and climbs.
  overfit: (s, t) => ({ train: 0.05 + 2 * Math.exp((-5 * s) / t), valid: 0.6 + 1.4 * Math.exp((-9 * s) / t) + 0.9 * Math.max(0, s / t - 0.33) }),
  // Valid collapses to ~0.004: the model has seen the validation text.
  leak: (s, t) => ({ train: 0.004 + 1.5 * Math.exp((-8 * s) / t), valid: 0.003 + 1.5 * Math.exp((-9 * s) / t) }),
};

export interface FakeEvent {
  id: string;
  object: 'fine_tuning.job.event';
  created_at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: 'message' | 'metrics';
  data: Record<string, unknown> | null;
}

export interface FakeCheckpoint {
  id: string;
  object: 'fine_tuning.job.checkpoint';
  created_at: number;
  fine_tuned_model_checkpoint: string;
  fine_tuning_job_id: string;
  step_number: number;
  metrics: Record<string, number>;
}

export interface FakeJob {
  id: string;
  owner: string;
  status: 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  model: string;
  suffix: string | null;
  training_file: string;
  validation_file: string | null;
  metadata: Record<string, string> | null;
  n_epochs: number;
  stepsPerEpoch: number;
  step: number;
  polls: number;
  events: FakeEvent[];
  checkpoints: FakeCheckpoint[];
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
  created_at: number;
  finished_at: number | null;
  curve: Curve;
  /** The body of the create request, as sent. */
  request: Record<string, unknown>;
}

export interface FakeFineTuneOptions {
  files?: FakeFiles;
  curve?: CurveName | Curve;
  /** Training steps per poll once running (default 3). */
  stepsPerPoll?: number;
  /** Steps per epoch (default 4); epochs come from the request's n_epochs (default 3). */
  stepsPerEpoch?: number;
  org?: string;
}

export interface FakeFineTuning {
  files: FakeFiles;
  jobs: Map<string, FakeJob>;
  setMode(mode: 'ok' | 'training_not_available' | 'quota'): void;
  setCurve(curve: CurveName | Curve): void;
  setStepsPerPoll(n: number): void;
  /** Advance a job as if it had been polled `n` times (no HTTP). */
  advance(id: string, n?: number): FakeJob;
  /** Requests to the fine-tuning routes. */
  jobRequests(): FakeOpenAI['requests'];
}

let seq = 0;

function keyOf(ctx: RouteContext): string {
  return String(ctx.request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
}

/** OpenAI's own check on a chat fine-tuning file, reduced: every line JSON with a messages list. */
function validateFile(content: Buffer): { line: number; message: string } | null {
  const lines = content.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (!text) continue;
    try {
      const row = JSON.parse(text) as { messages?: unknown };
      if (!Array.isArray(row.messages)) return { line: i + 1, message: `Invalid file format. Line ${i + 1}, key "messages": required` };
    } catch {
      return { line: i + 1, message: `Invalid file format. Line ${i + 1}: the line is not valid JSON` };
    }
  }
  return null;
}

export function installFineTuning(fake: FakeOpenAI, options: FakeFineTuneOptions = {}): FakeFineTuning {
  const files = options.files ?? installFiles(fake);
  const jobs = new Map<string, FakeJob>();
  const org = options.org ?? 'fake-org';
  let mode: 'ok' | 'training_not_available' | 'quota' = 'ok';
  let curve: Curve = typeof options.curve === 'function' ? options.curve : CURVES[options.curve ?? 'good'];
  let stepsPerPoll = options.stepsPerPoll ?? 3;
  const now = (): number => Math.floor(Date.now() / 1000);

  const event = (job: FakeJob, message: string, type: 'message' | 'metrics' = 'message', data: Record<string, unknown> | null = null, level: FakeEvent['level'] = 'info'): void => {
    job.events.push({ id: `ftevent-${++seq}`, object: 'fine_tuning.job.event', created_at: now(), level, message, type, data });
  };

  const total = (job: FakeJob): number => job.n_epochs * job.stepsPerEpoch;
  const round = (n: number): number => Math.round(n * 10000) / 10000;

  function step(job: FakeJob): void {
    job.polls += 1;
    if (job.status === 'validating_files') {
      event(job, `Validating training file: ${job.training_file}`);
      const problem = validateFile(files.get(job.training_file)?.content ?? Buffer.alloc(0));
      if (problem) {
        job.status = 'failed';
        job.finished_at = now();
        job.error = { code: 'invalid_training_file', message: `The job failed due to an invalid training file. ${problem.message}`, param: 'training_file' };
        event(job, job.error.message, 'message', null, 'error');
        return;
      }
      job.status = 'queued';
      event(job, 'Files validated, moving job to queued state');
      return;
    }
    if (job.status === 'queued') {
      job.status = 'running';
      event(job, 'Fine-tuning job started');
      return;
    }
    if (job.status !== 'running') return;
    const T = total(job);
    for (let i = 0; i < stepsPerPoll && job.step < T; i++) {
      job.step += 1;
      const s = job.step;
      const { train, valid } = job.curve(s, T);
      const data: Record<string, unknown> = { step: s, train_loss: round(train), valid_loss: round(valid), total_steps: T, train_mean_token_accuracy: round(1 - train / 3), valid_mean_token_accuracy: round(1 - valid / 3) };
      if (s % job.stepsPerEpoch === 0) data.full_valid_loss = round(valid * 1.02);
      event(job, `Step ${s}/${T}: training loss=${round(train)}, validation loss=${round(valid)}`, 'metrics', data);
      if (s % job.stepsPerEpoch === 0) {
        const ckpt = `ft:${job.model}:${org}:${job.suffix ?? ''}:${job.id.slice(-6)}:ckpt-step-${s}`;
        job.checkpoints.push({
          id: `ftckpt-${++seq}`,
          object: 'fine_tuning.job.checkpoint',
          created_at: now(),
          fine_tuned_model_checkpoint: ckpt,
          fine_tuning_job_id: job.id,
          step_number: s,
          metrics: { step: s, train_loss: round(train), valid_loss: round(valid), full_valid_loss: round(valid * 1.02), full_valid_mean_token_accuracy: round(1 - valid / 3) },
        });
        fake.models.add(ckpt);
        event(job, `Checkpoint created at step ${s}`);
      }
    }
    if (job.step >= T) {
      job.status = 'succeeded';
      job.finished_at = now();
      job.fine_tuned_model = `ft:${job.model}:${org}:${job.suffix ?? ''}:${job.id.slice(-6)}`;
      job.trained_tokens = 1000 * T;
      fake.models.add(job.fine_tuned_model);
      event(job, `New fine-tuned model created: ${job.fine_tuned_model}`);
      event(job, 'The job has successfully completed');
    }
  }

  const view = (job: FakeJob): Record<string, unknown> => ({
    id: job.id,
    object: 'fine_tuning.job',
    created_at: job.created_at,
    error: job.error,
    fine_tuned_model: job.fine_tuned_model,
    finished_at: job.finished_at,
    hyperparameters: { n_epochs: job.n_epochs, batch_size: 1, learning_rate_multiplier: 1 },
    model: job.model,
    organization_id: org,
    result_files: [],
    seed: 42,
    status: job.status,
    trained_tokens: job.trained_tokens,
    training_file: job.training_file,
    validation_file: job.validation_file,
    estimated_finish: job.status === 'running' ? now() + 60 : null,
    metadata: job.metadata,
    method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: job.n_epochs } } },
  });

  const owned = (ctx: RouteContext): FakeJob | undefined => {
    const job = jobs.get(decodeURIComponent(ctx.params[0]!));
    if (!job || job.owner !== keyOf(ctx)) {
      ctx.error(404, `Could not find fine-tune job: ${ctx.params[0]}`, { type: 'invalid_request_error', code: 'fine_tune_not_found', param: 'fine_tuning_job_id' });
      return undefined;
    }
    return job;
  };

  const page = <T extends { id: string }>(ctx: RouteContext, newestFirst: T[]): Record<string, unknown> => {
    const limit = Number(ctx.request.query.get('limit') ?? 20);
    const after = ctx.request.query.get('after');
    const start = after ? newestFirst.findIndex((e) => e.id === after) + 1 : 0;
    const data = newestFirst.slice(start, start + limit);
    return { object: 'list', data, has_more: start + limit < newestFirst.length };
  };

  fake.route('POST', /^\/v1\/fine_tuning\/jobs$/, (ctx) => {
    if (mode === 'training_not_available') {
      return ctx.error(403, 'Fine-tuning is not available for your organization. Self-serve fine-tuning is being retired.', { type: 'invalid_request_error', code: 'training_not_available' });
    }
    if (mode === 'quota') {
      return ctx.error(429, 'You exceeded your current quota, please check your plan and billing details.', { type: 'insufficient_quota', code: 'insufficient_quota' });
    }
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const trainingFile = typeof body.training_file === 'string' ? body.training_file : '';
    if (!files.has(trainingFile)) return ctx.error(400, `invalid training_file: ${trainingFile}`, { type: 'invalid_request_error', param: 'training_file', code: 'invalid_value' });
    const validationFile = typeof body.validation_file === 'string' ? body.validation_file : null;
    if (validationFile && !files.has(validationFile)) return ctx.error(400, `invalid validation_file: ${validationFile}`, { type: 'invalid_request_error', param: 'validation_file', code: 'invalid_value' });
    if (typeof body.model !== 'string' || !body.model) return ctx.error(400, "Missing required parameter: 'model'.", { type: 'invalid_request_error', param: 'model' });
    const hp = ((body.method as { supervised?: { hyperparameters?: { n_epochs?: unknown } } } | undefined)?.supervised?.hyperparameters ?? {}) as { n_epochs?: unknown };
    const job: FakeJob = {
      id: `ftjob-fake${String(++seq).padStart(6, '0')}`,
      owner: keyOf(ctx),
      status: 'validating_files',
      model: body.model,
      suffix: typeof body.suffix === 'string' ? body.suffix : null,
      training_file: trainingFile,
      validation_file: validationFile,
      metadata: (body.metadata as Record<string, string> | undefined) ?? null,
      n_epochs: typeof hp.n_epochs === 'number' ? hp.n_epochs : 3,
      stepsPerEpoch: options.stepsPerEpoch ?? 4,
      step: 0,
      polls: 0,
      events: [],
      checkpoints: [],
      fine_tuned_model: null,
      trained_tokens: null,
      error: null,
      created_at: now(),
      finished_at: null,
      curve,
      request: body,
    };
    event(job, `Created fine-tuning job: ${job.id}`);
    jobs.set(job.id, job);
    return view(job);
  });
  fake.route('GET', /^\/v1\/fine_tuning\/jobs$/, (ctx) => page(ctx, [...jobs.values()].filter((j) => j.owner === keyOf(ctx)).reverse().map(view) as Array<{ id: string }>));
  fake.route('GET', /^\/v1\/fine_tuning\/jobs\/([^/]+)$/, (ctx) => {
    const job = owned(ctx);
    if (!job) return undefined;
    step(job);
    return view(job);
  });
  fake.route('POST', /^\/v1\/fine_tuning\/jobs\/([^/]+)\/cancel$/, (ctx) => {
    const job = owned(ctx);
    if (!job) return undefined;
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') {
      return ctx.error(400, `Job ${job.id} has already ${job.status === 'cancelled' ? 'been cancelled' : 'completed'}.`, { type: 'invalid_request_error' });
    }
    job.status = 'cancelled';
    job.finished_at = now();
    event(job, 'Fine-tuning job cancelled');
    return view(job);
  });
  fake.route('GET', /^\/v1\/fine_tuning\/jobs\/([^/]+)\/events$/, (ctx) => {
    const job = owned(ctx);
    return job ? page(ctx, [...job.events].reverse()) : undefined;
  });
  fake.route('GET', /^\/v1\/fine_tuning\/jobs\/([^/]+)\/checkpoints$/, (ctx) => {
    const job = owned(ctx);
    return job ? page(ctx, [...job.checkpoints].reverse()) : undefined;
  });

  return {
    files,
    jobs,
    setMode(m) {
      mode = m;
    },
    setCurve(c) {
      curve = typeof c === 'function' ? c : CURVES[c];
    },
    setStepsPerPoll(n) {
      stepsPerPoll = n;
    },
    advance(id, n = 1) {
      const job = jobs.get(id);
      if (!job) throw new Error(`no fake job ${id}`);
      for (let i = 0; i < n; i++) step(job);
      return job;
    },
    jobRequests() {
      return fake.requests.filter((r) => r.path.includes('/fine_tuning/'));
    },
  };
}
