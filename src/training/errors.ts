import { RestyleError } from '../errors.js';

export interface ErrorContext {
  style?: string | null;
  dataDir?: string | null;
  /** Uploaded file id → the path the user knows it by. */
  files?: Record<string, string>;
  /** Which file a `training_file` / `validation_file` parameter refers to. */
  params?: { training_file?: string; validation_file?: string };
  jobId?: string;
  baseUrl?: string;
}

const LINE = /\b(?:line|example)\s+(\d+)/i;

/**
 * Turn a provider error into one line that says what happened and what to do next:
 * - 403 `training_not_available`: this account can't fine-tune → export the data and train elsewhere;
 * - quota: billing/limits, or export;
 * - an invalid file (the server's own validation): the file and line;
 * - a job id that isn't there: it doesn't exist or belongs to another account.
 */
export function explainTrainingError(error: RestyleError, ctx: ErrorContext = {}): RestyleError {
  const exportCmd = `restyle train --provider export${ctx.style ? ` --style ${ctx.style}` : ''}${ctx.dataDir ? ` --data ${ctx.dataDir}` : ''}`;
  if (error.code === 'training_not_available') {
    return new RestyleError(
      'training_not_available',
      `${ctx.baseUrl ?? 'the provider'} refused to fine-tune (403 training_not_available: self-serve fine-tuning is not available for this account). Next: ${exportCmd} writes the data and a LoRA config to train elsewhere and serve behind an OpenAI-compatible endpoint (docs/training.md)`,
      { cause: error, details: error.details },
    );
  }
  if (error.code === 'quota_exceeded') {
    return new RestyleError('quota_exceeded', `${error.message}. Next: raise the limit or add credit at the provider, or train elsewhere with: ${exportCmd}`, { cause: error, details: error.details });
  }
  if (error.code === 'llm_bad_request' || error.code === 'file_invalid') {
    const raw = error.details.param ?? (error.cause as { param?: unknown } | undefined)?.param;
    const param = typeof raw === 'string' ? raw : undefined;
    const said = error.message;
    const file = (param === 'training_file' || param === 'validation_file' ? ctx.params?.[param] : undefined) ?? Object.entries(ctx.files ?? {}).find(([id]) => said.includes(id))?.[1];
    const line = LINE.exec(said)?.[1];
    if (file || /file/i.test(said)) {
      return new RestyleError('file_invalid', `${file ?? 'training data'}${line ? `:${line}` : ''}: the provider rejected the file: ${stripPrefix(said)}. Check it with: restyle corpus validate ${file ?? 'FILE'}`, {
        cause: error,
        details: { ...error.details, ...(file ? { file } : {}), ...(line ? { line: Number(line) } : {}) },
      });
    }
  }
  if (error.code === 'not_found' && ctx.jobId) {
    return new RestyleError(
      'not_found',
      `fine-tuning job ${ctx.jobId} was not found at ${ctx.baseUrl ?? 'the provider'}: it does not exist or belongs to another account or project (check the id and the key in OPENAI_API_KEY; restyle train status lists the jobs restyle knows)`,
      { cause: error, details: { ...error.details, job: ctx.jobId } },
    );
  }
  return error;
}

/** A job that ended `failed`: its error as a RestyleError, a file problem naming file:line. */
export function jobFailure(error: { code?: string | null; message?: string | null; param?: string | null } | null | undefined, ctx: ErrorContext): RestyleError {
  const message = error?.message ?? 'the job failed without a reason';
  const code = error?.code ?? 'failed';
  const param = error?.param ?? undefined;
  if (/invalid_(training|validation)_file|file/i.test(`${code} ${param ?? ''}`)) {
    const file = (param === 'training_file' || param === 'validation_file' ? ctx.params?.[param] : undefined) ?? ctx.params?.training_file;
    const line = LINE.exec(message)?.[1];
    return new RestyleError('file_invalid', `${file ?? 'training data'}${line ? `:${line}` : ''}: job ${ctx.jobId ?? ''} failed: ${message}. Check it with: restyle corpus validate ${file ?? 'FILE'}`.replace(/job {2}/, 'job '), {
      details: { code, ...(file ? { file } : {}), ...(line ? { line: Number(line) } : {}) },
    });
  }
  return new RestyleError('llm_error', `job ${ctx.jobId ?? ''} failed (${code}): ${message}`, { details: { code } });
}

function stripPrefix(message: string): string {
  // "<baseUrl> rejected the request (400): <server text>" → the server text.
  const i = message.indexOf('): ');
  return i >= 0 ? message.slice(i + 3) : message;
}
