import { createRequire } from 'node:module';
import type { ChatMessage } from './types.js';

type Counter = (text: string, options: { disallowedSpecial: Set<string> }) => number;
let countO200k: Counter | undefined;

/** The o200k tables take ~60 MB: load them on the first exact count, not at start-up of every command. */
function counter(): Counter {
  countO200k ??= (createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: Counter }).countTokens;
  return countO200k;
}

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
  return text ? counter()(text, PLAIN_TEXT) : 0;
}

/** The roles a chat request uses, counted once (a role can be any string in a file being validated). */
const ROLE_TOKENS = new Map(['system', 'user', 'assistant', 'developer', 'tool'].map((role) => [role, -1]));

function roleTokens(role: string): number {
  const known = ROLE_TOKENS.get(role);
  if (known === undefined) return countTokens(role);
  if (known >= 0) return known;
  const n = countTokens(role);
  ROLE_TOKENS.set(role, n);
  return n;
}

/**
 * Prompt tokens of a chat request, framing included. `countSystem` counts system messages: a caller
 * writing thousands of examples with the same system prompt passes one that remembers it.
 */
export function countMessageTokens(messages: readonly ChatMessage[], countSystem: (text: string) => number = countTokens): number {
  let total = TOKENS_PER_REPLY;
  for (const m of messages) total += TOKENS_PER_MESSAGE + roleTokens(m.role) + (m.role === 'system' ? countSystem(m.content) : countTokens(m.content));
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
