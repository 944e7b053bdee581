import type { Style } from '../config/load.js';
import type { LlmPool } from '../llm/pool.js';
import type { Restyler } from '../restyle/restyler.js';
import { buildMessages } from '../restyle/messages.js';
import type { Candidate } from './run.js';

/** A style through the real filter (blocks, protected spans, the style's temperature): what production does. */
export function restylerCandidate(label: string, name: string, restyler: Restyler, style: string, options: { cache: boolean }): Candidate {
  return {
    label,
    name,
    async run(input, params) {
      const r = await restyler.restyle(input, { style, params, onError: 'original', cache: options.cache });
      return { text: r.text, blocks: r.blocks, fallbacks: r.fallbacks, ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}) };
    },
  };
}

/** A de-styler, asked directly with the same messages the filter would build (temperature 0, as the filter does). */
export function destylerCandidate(label: string, name: string, llm: LlmPool, style: Style, model: string): Candidate {
  const prompt = { name: `${style.name} (destyler)`, prompt: style.destylerPrompt, params: {} };
  return {
    label,
    name,
    async run(input) {
      const r = await llm.get(style.destylerEndpoint).chat({ model, messages: buildMessages(prompt, input), temperature: 0 });
      return { text: r.text.trim(), blocks: 1, fallbacks: 0 };
    },
  };
}
