import { secretsOf, type Settings } from '../config/load.js';
import { scrub } from '../log.js';

/**
 * Masks every secret the settings hold (the upstream key above all: some compatible servers echo the key
 * they were sent in a 401) in text relayed from the upstream. Values under 4 characters are left alone, as
 * the model clients' scrubbing does: masking them would garble ordinary words and hide nothing.
 */
export function secretScrubber(settings: Settings): (text: string) => string {
  const secrets = secretsOf(settings).filter((s) => s.length >= 4);
  return (text) => (secrets.some((s) => text.includes(s)) ? scrub(text, secrets) : text);
}
