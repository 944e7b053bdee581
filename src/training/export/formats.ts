import type { ChatExample } from '../examples.js';

/** OpenAI chat fine-tuning format (also what axolotl's `chat_template` and most trainers read). */
export function toOpenAIChat(e: ChatExample): { messages: Array<{ role: string; content: string }> } {
  return {
    messages: [
      ...(e.system ? [{ role: 'system', content: e.system }] : []),
      { role: 'user', content: e.user },
      { role: 'assistant', content: e.assistant },
    ],
  };
}

/** ShareGPT (`conversations` with `from`/`value`; system/human/gpt), as LLaMA-Factory and older axolotl read it. */
export function toShareGpt(e: ChatExample): { conversations: Array<{ from: string; value: string }> } {
  return {
    conversations: [
      ...(e.system ? [{ from: 'system', value: e.system }] : []),
      { from: 'human', value: e.user },
      { from: 'gpt', value: e.assistant },
    ],
  };
}

/**
 * Alpaca with a `system` column (LLaMA-Factory's alpaca format): the neutral text is the instruction and the
 * style prompt the system message, so the trainer renders exactly the system + user pair restyle sends at
 * inference. (Putting the prompt in `instruction` would train on a prompt the live requests never have.)
 */
export function toAlpaca(e: ChatExample): { instruction: string; input: string; output: string; system: string } {
  return { instruction: e.user, input: '', output: e.assistant, system: e.system };
}

export const FORMATS = {
  openai: { file: (split: string) => `openai.${split}.jsonl`, convert: toOpenAIChat },
  sharegpt: { file: (split: string) => `sharegpt.${split}.jsonl`, convert: toShareGpt },
  alpaca: { file: (split: string) => `alpaca.${split}.jsonl`, convert: toAlpaca },
} as const;
