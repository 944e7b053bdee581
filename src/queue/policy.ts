import { isRestyleError, toRestyleError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobContext, JobHandler, QueuePolicy } from './types.js';

/** What to do after a failed attempt: give up now, or retry after `delayMs`. */
export type Decision = { fail: true; reason: string } | { fail: false; delayMs: number; reason: string };

/**
 * One retry policy for both engines: a RestyleError marked not retryable (the platform refused: channel
 * gone, no permission) fails at once; anything else retries with exponential backoff, never sooner than
 * the Retry-After the platform sent (`details.retryAfterMs`), until `attempts` is used up.
 */
export function decide(error: unknown, attempt: number, policy: QueuePolicy): Decision {
  const e = toRestyleError(error);
  const reason = `${e.code}: ${e.message}`;
  if (isRestyleError(error) && !error.retryable) return { fail: true, reason };
  if (attempt >= policy.attempts) return { fail: true, reason: `${reason} (gave up after ${attempt} attempts)` };
  return { fail: false, delayMs: retryDelay(error, attempt, policy), reason };
}

export function retryDelay(error: unknown, attempt: number, policy: QueuePolicy): number {
  const backoff = Math.min(policy.backoffMs * 2 ** Math.max(0, attempt - 1), policy.maxBackoffMs);
  const after = isRestyleError(error) ? Number(error.details.retryAfterMs) : NaN;
  return Number.isFinite(after) && after > backoff ? Math.ceil(after) : backoff;
}

/** The reason a payload that no longer parses is failed with. */
export function unparsable(kind: string, error: unknown): string {
  return `payload_invalid: the stored ${kind} job does not parse (written by another version?): ${toRestyleError(error).message.split('\n')[0]}`;
}

/** Run the handler's `gaveUp` for a job going to the failed set; never throws (the job fails either way). */
export async function tellGaveUp(handler: JobHandler<unknown>, payload: unknown, job: JobContext, reason: string, logger: Logger): Promise<void> {
  if (!handler.gaveUp) return;
  try {
    await handler.gaveUp(payload, job, reason);
  } catch (error) {
    logger.warn({ job: job.id, kind: job.kind, err: toRestyleError(error).message }, 'queue: could not tell anyone that the job failed');
  }
}
