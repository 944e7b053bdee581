import { toRestyleError } from '../errors.js';
import type { Reply } from './types.js';

/** A note only the actor sees. */
export function note(text: string): Reply {
  return { kind: 'text', text, ephemeral: true };
}

/** The final word on a button: replaces the message the button was on, so its buttons are gone. */
export function finished(text: string): Reply {
  return { kind: 'done', text, ephemeral: true, replace: true };
}

/** One line saying what failed and why, never a stack trace. */
export function failed(what: string, error: unknown): Reply {
  return note(`${what}: ${reason(error)}`);
}

export function reason(error: unknown): string {
  const e = toRestyleError(error);
  if (e.code === 'store_unavailable') return `the store is unavailable (${e.message}). Nothing was changed; try again in a moment.`;
  return e.message;
}

/** A polite refusal when a user has hit a rate limit. */
export function slowDown(what: string, d: { retryAfterSeconds: number; limit: { points: number; durationSeconds: number } }): Reply {
  return note(`You've reached the limit for ${what} (${d.limit.points} every ${d.limit.durationSeconds} s). Please try again in ${d.retryAfterSeconds} s.`);
}

/**
 * What a person is told when the work they asked for failed for good (the queue gave up on its job): what,
 * and why in one line — the job's reason without its error code, at most 300 characters.
 */
export function gaveUpText(what: string, jobReason: string): string {
  const why = jobReason.replace(/^[a-z_]+: /, '').replace(/\s+/g, ' ').trim() || 'it failed';
  return `Sorry, ${what} did not go through: ${why.length > 300 ? `${why.slice(0, 299)}…` : why}. Please try again.`;
}
