import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from './types.js';

/**
 * Token counts for budgeting: exact counts with o200k_base (the encoding of gpt-4o, gpt-4.1 and their
 * fine-tunes), and a cheap estimate for the rate limiter's hot path.
 */

/** Special-token text in user input (`<|endoftext|>`) is counted as plain text instead of throwing. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Per OpenAI's cookbook: every message costs ~3 tokens of framing, and every reply is primed with 3. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

export function countTokens(text: string): number {
  return text ? countO200k(text, PLAIN_TEXT) : 0;
}

/** Prompt tokens of a chat request, framing included. */
export function countMessageTokens(messages: readonly ChatMessage[]): number {
  let total = TOKENS_PER_REPLY;
  for (const m of messages) total += TOKENS_PER_MESSAGE + countTokens(m.role) + countTokens(m.content);
  return total;
}

/** ≈ chars / 4: good enough to weigh a request for the TPM bucket without running the tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimated prompt tokens of a chat request (same framing as `countMessageTokens`). */
export function estimateMessageTokens(messages: readonly ChatMessage[]): number {
  let total = TOKENS_PER_REPLY;
  for (const m of messages) total += TOKENS_PER_MESSAGE + 1 + estimateTokens(m.content);
  return total;
}
