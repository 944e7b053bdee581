import { RestyleError } from '../errors.js';
import type { SampleIndexState } from './types.js';

/** Refusal to answer a sample query from an index that does not hold every sample yet. */
export function notIndexed(where: string, state: SampleIndexState): RestyleError {
  const why = state === 'interrupted' ? 'its migration was interrupted half-way' : 'they were written before the index existed';
  return new RestyleError('store_error', `samples in ${where} are not all indexed yet (${why}): run \`restyle doctor --fix\`, or start the bot, which indexes them when it opens the store`);
}
