import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { countMessageTokens } from '../llm/tokens.js';
import type { ChatMessage } from '../llm/types.js';
import { MAX_EXAMPLE_TOKENS } from './build.js';

export interface ValidationIssue {
  line: number;
  problem: string;
}

export interface ValidationReport {
  file: string;
  examples: number;
  issues: ValidationIssue[];
  tokens: { total: number; max: number };
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'function']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'function_call', 'tool_calls', 'tool_call_id']);

/**
 * The checks OpenAI's cookbook runs on chat fine-tuning data ("Data preparation and analysis for chat model
 * fine-tuning"): each line a JSON object with a non-empty `messages` list, known roles and keys, content
 * present, at least one assistant message, and under the per-example token limit. Reported by line.
 */
export async function validateJsonl(file: string, shown = file): Promise<ValidationReport> {
  const issues: ValidationIssue[] = [];
  let examples = 0;
  let total = 0;
  let max = 0;
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    examples += 1;
    const problem = (p: string): void => void issues.push({ line, problem: p });
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      problem(`not valid JSON (${(error as Error).message})`);
      continue;
    }
    const messages = (row as { messages?: unknown })?.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      problem('missing "messages" list');
      continue;
    }
    let ok = true;
    messages.forEach((m: unknown, i) => {
      if (typeof m !== 'object' || m === null) {
        problem(`messages[${i}] is not an object`);
        ok = false;
        return;
      }
      const msg = m as Record<string, unknown>;
      const unknown = Object.keys(msg).filter((k) => !MESSAGE_KEYS.has(k));
      if (unknown.length) problem(`messages[${i}]: unknown key(s) ${unknown.join(', ')}`);
      if (!ROLES.has(String(msg.role))) problem(`messages[${i}]: unknown role ${JSON.stringify(msg.role)}`);
      if (!('content' in msg) || (typeof msg.content !== 'string' && msg.content !== null) || (typeof msg.content === 'string' && msg.content.trim() === '' && !msg.function_call && !msg.tool_calls)) {
        problem(`messages[${i}]: missing content`);
        ok = false;
      }
    });
    if (!messages.some((m: { role?: unknown }) => m?.role === 'assistant')) problem('no assistant message');
    if (ok) {
      const n = countMessageTokens(messages as ChatMessage[]);
      total += n;
      max = Math.max(max, n);
      if (n > MAX_EXAMPLE_TOKENS) problem(`${n} tokens, over the ${MAX_EXAMPLE_TOKENS}-token limit (it would be truncated)`);
    }
  }
  return { file: shown, examples, issues, tokens: { total, max } };
}
