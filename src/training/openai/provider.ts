import { createReadStream } from 'node:fs';
import type OpenAI from 'openai';
import type { Endpoint } from '../../config/load.js';
import type { RestyleError } from '../../errors.js';
import { expectApiObject } from '../../llm/api-object.js';
import { sha256 } from '../../util/hash.js';
import { hashFiles } from '../dataset.js';
import { explainTrainingError, type ErrorContext } from '../errors.js';
import type { JobStore } from '../jobs.js';
import type { JobEvent } from '../metrics.js';
import type { TrainingProvider } from '../provider.js';
import { freshProgress, type CheckpointInfo, type JobRecord, type JobStatus, type TrainOutcome, type TrainRequest } from '../types.js';

/** What the provider needs from an `LlmClient`: the raw SDK, its endpoint and its error mapping. */
export interface FineTuneClient {
  readonly sdk: OpenAI;
  readonly endpoint: Endpoint;
  toError(error: unknown, model?: string): RestyleError;
}

/** The job fields restyle reads (the SDK's `FineTuningJob`, loosely). */
export interface RemoteJob {
  id: string;
  status: JobStatus;
  model: string;
  fine_tuned_model: string | null;
  trained_tokens: number | null;
  estimated_finish?: number | null;
  error: { code?: string | null; message?: string | null; param?: string | null } | null;
  training_file: string;
  validation_file: string | null;
  metadata?: Record<string, string> | null;
  hyperparameters?: { n_epochs?: unknown };
}

export const DEFAULT_OPENAI_BASE_MODEL = 'gpt-4.1-mini-2025-04-14';
const SUFFIX_MAX = 64;

/**
 * Fine-tuning through OpenAI's API (or any server implementing `/files` and `/fine_tuning/jobs`): upload
 * the validated files (once per content), create a supervised job, and read status, events and checkpoints.
 */
export class OpenAIProvider implements TrainingProvider {
  readonly name = 'openai';
  readonly description = "OpenAI's fine-tuning API (or a compatible one at OPENAI_BASE_URL)";

  constructor(
    private readonly client: FineTuneClient,
    private readonly jobs: JobStore,
  ) {}

  get baseUrl(): string {
    return this.client.endpoint.baseUrl;
  }

  async start(req: TrainRequest): Promise<TrainOutcome> {
    const { data } = req;
    const files: Record<string, string> = {};
    const ctx: ErrorContext = { style: req.style.name, dataDir: data.shown.train.replace(/\/[^/]+$/, ''), baseUrl: this.baseUrl };
    const trainId = await this.upload(data.train, ctx);
    files[trainId] = data.shown.train;
    const validId = data.valid ? await this.upload(data.valid, ctx) : null;
    if (validId) files[validId] = data.shown.valid!;
    ctx.files = files;
    ctx.params = { training_file: data.shown.train, ...(data.shown.valid ? { validation_file: data.shown.valid } : {}) };
    const baseModel = req.baseModel ?? DEFAULT_OPENAI_BASE_MODEL;
    let job: RemoteJob;
    try {
      job = (await this.client.sdk.fineTuning.jobs.create({
        training_file: trainId,
        ...(validId ? { validation_file: validId } : {}),
        model: baseModel,
        suffix: req.suffix.slice(0, SUFFIX_MAX),
        method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: req.epochs ?? 'auto' } } },
        metadata: { restyle_style: req.style.name, restyle_role: req.role, restyle_data: data.dataHash, restyle_prompt: data.promptHash },
      })) as unknown as RemoteJob;
    } catch (error) {
      throw explainTrainingError(this.client.toError(error, baseModel), ctx);
    }
    expectApiObject(job, 'fine_tuning.job', 'POST /fine_tuning/jobs', this.baseUrl);
    const now = new Date().toISOString();
    const record: JobRecord = {
      id: job.id,
      provider: this.name,
      baseUrl: this.baseUrl,
      apiKeyEnv: this.client.endpoint.apiKeyEnv,
      style: req.style.name,
      role: req.role,
      baseModel: job.model || baseModel,
      dataDir: data.dir,
      files: { train: data.shown.train, valid: data.shown.valid ?? null },
      dataHash: data.dataHash,
      promptHash: data.promptHash,
      ...(req.epochs ? { epochs: req.epochs } : {}),
      status: job.status,
      fineTunedModel: job.fine_tuned_model,
      use: Boolean(req.use),
      ...freshProgress(now),
    };
    await this.jobs.save(record);
    return { kind: 'job', job: record };
  }

  /** Upload a file for fine-tuning, or reuse the upload of the same bytes to the same endpoint. */
  private async upload(path: string, ctx: ErrorContext): Promise<string> {
    const key = sha256(this.baseUrl, await hashFiles([path])).slice(0, 32);
    const known = await this.jobs.upload(key);
    if (known) {
      try {
        await this.client.sdk.files.retrieve(known);
        return known;
      } catch {
        await this.jobs.forgetUpload(key);
      }
    }
    let file: OpenAI.FileObject;
    try {
      file = await this.client.sdk.files.create({ file: createReadStream(path), purpose: 'fine-tune' });
    } catch (error) {
      throw explainTrainingError(this.client.toError(error), ctx);
    }
    expectApiObject(file, 'file', 'POST /files', this.baseUrl);
    await this.jobs.saveUpload(key, file.id);
    return file.id;
  }

  async retrieve(id: string): Promise<RemoteJob> {
    let job: RemoteJob;
    try {
      job = (await this.client.sdk.fineTuning.jobs.retrieve(id)) as unknown as RemoteJob;
    } catch (error) {
      throw explainTrainingError(this.client.toError(error), { jobId: id, baseUrl: this.baseUrl });
    }
    return expectApiObject(job, 'fine_tuning.job', `GET /fine_tuning/jobs/${id}`, this.baseUrl);
  }

  async cancel(id: string): Promise<RemoteJob> {
    try {
      return (await this.client.sdk.fineTuning.jobs.cancel(id)) as unknown as RemoteJob;
    } catch (error) {
      throw explainTrainingError(this.client.toError(error), { jobId: id, baseUrl: this.baseUrl });
    }
  }

  /**
   * Events after `afterId`, oldest first. The API lists newest first and pages towards older ones, so we
   * read from the top until we reach the last event we saw.
   */
  async eventsSince(id: string, afterId: string | null): Promise<JobEvent[]> {
    const fresh: JobEvent[] = [];
    try {
      for await (const event of this.client.sdk.fineTuning.jobs.listEvents(id, { limit: 100 })) {
        if (event.id === afterId) break;
        fresh.push(event as JobEvent);
      }
    } catch (error) {
      throw explainTrainingError(this.client.toError(error), { jobId: id, baseUrl: this.baseUrl });
    }
    return fresh.reverse();
  }

  async checkpoints(id: string): Promise<CheckpointInfo[]> {
    const out: CheckpointInfo[] = [];
    try {
      for await (const c of this.client.sdk.fineTuning.jobs.checkpoints.list(id, { limit: 100 })) {
        const m = c.metrics ?? {};
        out.push({
          id: c.id,
          step: c.step_number,
          model: c.fine_tuned_model_checkpoint,
          ...(m.train_loss !== undefined ? { trainLoss: m.train_loss } : {}),
          ...(m.valid_loss !== undefined ? { validLoss: m.valid_loss } : {}),
          ...(m.full_valid_loss !== undefined ? { fullValidLoss: m.full_valid_loss } : {}),
        });
      }
    } catch (error) {
      const mapped = this.client.toError(error);
      // Compatible servers without a checkpoints endpoint just have none.
      if (mapped.code === 'not_found') return [];
      throw explainTrainingError(mapped, { jobId: id, baseUrl: this.baseUrl });
    }
    return out.sort((a, b) => a.step - b.step);
  }
}
