import type { Store } from '../store/types.js';
import type { Feedback, Sample } from '../samples/types.js';

export interface StoreForgetResult {
  samples: number;
  feedback: number;
}

/**
 * Delete what the store holds about people: samples they saved or wrote and their 👍/👎 verdicts, chosen
 * by `matches`. Deletes one key at a time, each persisted before it is counted, so a failure part-way
 * reports what was really deleted (the error carries the counts) and a re-run finishes the job.
 */
export async function deleteFromStore(
  store: Store,
  match: { sample: (s: Sample) => boolean; feedback: (f: Feedback) => boolean },
): Promise<StoreForgetResult> {
  const done: StoreForgetResult = { samples: 0, feedback: 0 };
  const samples = store.ns<Sample>('samples');
  const feedback = store.ns<Feedback>('feedback');
  try {
    const doomedSamples: string[] = [];
    for await (const [key, s] of samples.entries()) if (s && match.sample(s)) doomedSamples.push(key);
    for (const key of doomedSamples) if (await samples.delete(key)) done.samples += 1;
    const doomedFeedback: string[] = [];
    for await (const [key, f] of feedback.entries()) if (f && match.feedback(f)) doomedFeedback.push(key);
    for (const key of doomedFeedback) if (await feedback.delete(key)) done.feedback += 1;
  } catch (error) {
    if (error instanceof Error) Object.assign(error, { partial: { ...done } });
    throw error;
  }
  return done;
}

/** Samples saved by or written by the user, and the user's verdicts. */
export function forgetUserInStore(store: Store, matches: (key: string | undefined) => boolean): Promise<StoreForgetResult> {
  return deleteFromStore(store, { sample: (s) => matches(s.savedBy) || matches(s.author), feedback: (f) => matches(f.user) });
}

/** Samples and verdicts created before `cutoff` (the retention window). */
export function purgeStoreBefore(store: Store, cutoff: Date): Promise<StoreForgetResult> {
  const iso = cutoff.toISOString();
  return deleteFromStore(store, { sample: (s) => s.createdAt < iso, feedback: (f) => f.at < iso });
}
