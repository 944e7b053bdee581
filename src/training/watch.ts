import { join } from 'node:path';
import { RestyleError, toRestyleError } from '../errors.js';
import { writeFileAtomic } from '../corpus/write.js';
import { analyseCurves, recommendCheckpoint, type Finding } from './analysis.js';
import { lossChartSvg } from './chart-svg.js';
import { jobFailure } from './errors.js';
import type { JobStore } from './jobs.js';
import { mergePoints, metricFromEvent, type JobEvent } from './metrics.js';
import type { OpenAIProvider, RemoteJob } from './openai/provider.js';
import { TERMINAL, type JobRecord } from './types.js';

/** What watching needs from a provider (the openai one). */
export type JobApi = Pick<OpenAIProvider, 'retrieve' | 'eventsSince' | 'checkpoints'>;

export interface WatchUpdate {
  job: JobRecord;
  events: JobEvent[];
  /** Set on the last update: what the curves say. */
  findings?: Finding[];
}

export interface WatchOptions {
  pollMs: number;
  signal?: AbortSignal;
  onUpdate?: (update: WatchUpdate) => void;
  /** Called once when the job succeeds (the registry step); its result is stored on the job. */
  onSucceeded?: (job: JobRecord) => Promise<number | null>;
  /** Give up after this many polls in a row fail (network, 5xx): the job keeps running, watch resumes later. */
  maxFailures?: number;
  /** Where the SVG goes when the job has no data directory. */
  fallbackDir?: string;
}

export interface WatchResult {
  job: JobRecord;
  /** True when the watch stopped before the job ended (Ctrl-C, --detach): resume with `restyle train watch`. */
  detached: boolean;
  findings: Finding[];
  svg: string | null;
}

/** The loss chart's path: next to the data, one per model (`styler-loss.svg`, `destyler-loss.svg`). */
export function chartPath(job: JobRecord, fallbackDir: string): string {
  return join(job.dataDir ?? fallbackDir, `${job.role}-loss.svg`);
}

/** Bring a stored job up to date with one poll: status, new events and metrics, checkpoints once it ends. */
export async function pollOnce(api: JobApi, jobs: JobStore, job: JobRecord): Promise<{ job: JobRecord; events: JobEvent[]; remote: RemoteJob }> {
  const remote = await api.retrieve(job.id);
  const events = await api.eventsSince(job.id, job.lastEventId);
  const points = [];
  let totalSteps = job.totalSteps;
  for (const e of events) {
    const m = metricFromEvent(e);
    if (m) {
      points.push(m.point);
      if (m.totalSteps) totalSteps = m.totalSteps;
    }
  }
  const messages = events.filter((e) => e.type !== 'metrics').map((e) => e.message);
  const next: JobRecord = {
    ...job,
    status: remote.status,
    fineTunedModel: remote.fine_tuned_model,
    trainedTokens: remote.trained_tokens,
    estimatedFinish: remote.estimated_finish ?? null,
    error: remote.error && (remote.error.message || remote.error.code) ? { code: remote.error.code ?? 'failed', message: remote.error.message ?? '', ...(remote.error.param ? { param: remote.error.param } : {}) } : null,
    lastEventId: events.at(-1)?.id ?? job.lastEventId,
    log: [...job.log, ...messages].slice(-50),
    metrics: mergePoints(job.metrics, points),
    ...(totalSteps ? { totalSteps } : {}),
  };
  if (TERMINAL.has(remote.status)) next.checkpoints = await api.checkpoints(job.id);
  await jobs.save(next);
  return { job: next, events, remote };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follow a job until it ends: poll, keep every new event and metric in the store (so a restarted watch
 * continues from the last event), redraw the SVG next to the data, and register the model on success.
 * Transient failures are retried; after `maxFailures` in a row the watch stops and says how to resume.
 */
export async function watchJob(api: JobApi, jobs: JobStore, jobId: string, options: WatchOptions): Promise<WatchResult> {
  let job = await jobs.get(jobId);
  if (!job) throw new RestyleError('not_found', `job ${jobId} is not one restyle is following (restyle train status lists them)`, { details: { job: jobId } });
  const fallbackDir = options.fallbackDir ?? process.cwd();
  let failures = 0;
  let svg: string | null = null;
  let lastDrawn = -1;
  for (;;) {
    if (options.signal?.aborted) return { job, detached: true, findings: [], svg };
    let events: JobEvent[];
    try {
      ({ job, events } = await pollOnce(api, jobs, job));
      failures = 0;
    } catch (error) {
      const e = toRestyleError(error);
      if (!e.retryable) throw e;
      failures += 1;
      if (failures >= (options.maxFailures ?? 10)) {
        throw new RestyleError(e.code, `${e.message} (${failures} polls in a row failed; the job keeps running — resume with: restyle train watch ${jobId})`, { cause: e, details: e.details });
      }
      await sleep(Math.min(options.pollMs * 2 ** failures, 60_000), options.signal);
      continue;
    }
    const terminal = TERMINAL.has(job.status);
    const drawn = job.metrics.length + job.checkpoints.length;
    if (drawn > 0 && (drawn !== lastDrawn || terminal)) {
      svg = chartPath(job, fallbackDir);
      const best = recommendCheckpoint(job.checkpoints);
      writeFileAtomic(svg, lossChartSvg(job.metrics, { title: `${job.style ?? job.id} ${job.role}: ${job.id}`, checkpoints: job.checkpoints, ...(best ? { recommendedStep: best.checkpoint.step } : {}) }));
      lastDrawn = drawn;
    }
    if (terminal) {
      const findings = analyseCurves(job.metrics, job.checkpoints, { checkCommand: `restyle train check --style ${job.style ?? 'NAME'} --data ${job.dataDir ?? 'DIR'}${job.role === 'destyler' ? ' --destyler' : ''}` });
      options.onUpdate?.({ job, events, findings });
      if (job.status === 'succeeded' && job.registered === null && options.onSucceeded) {
        const id = await options.onSucceeded(job);
        if (id !== null) {
          job = { ...job, registered: id };
          await jobs.save(job);
        }
      }
      if (job.status === 'failed') {
        throw jobFailure(job.error ?? null, {
          jobId: job.id,
          params: { ...(job.files.train ? { training_file: job.files.train } : {}), ...(job.files.valid ? { validation_file: job.files.valid } : {}) },
        });
      }
      return { job, detached: false, findings, svg };
    }
    options.onUpdate?.({ job, events });
    await sleep(options.pollMs, options.signal);
  }
}
