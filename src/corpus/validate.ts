import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { countMessageTokens } from '../llm/tokens.js';
import type { ChatMessage } from '../llm/types.js';
import { defaultEpochs, MAX_EXAMPLE_TOKENS, TokenTally } from './stats.js';

export interface ValidationIssue {
  line: number;
  problem: string;
}

export interface ValidationReport {
  file: string;
  /** Non-blank lines (each should be one example). */
  examples: number;
  /** Problems that make a line unusable for fine-tuning, by line. */
  issues: ValidationIssue[];
  /** Remarks about the file as a whole (too few examples…); not errors. */
  warnings: string[];
  tokens: {
    total: number;
    max: number;
    p50: number;
    p95: number;
    /** Tokens the model is trained to produce (assistant messages with weight ≠ 0). */
    assistant: number;
    /** Examples over the per-example limit (they would be truncated). */
    overLimit: number;
  };
  /** What OpenAI would bill for training on this file with its default epoch count (the cookbook's estimate). */
  billing: { defaultEpochs: number; tokensPerEpoch: number; tokens: number };
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'function']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'function_call', 'tool_calls', 'tool_call_id', 'refusal']);
const TOP_KEYS = new Set(['messages', 'tools', 'functions', 'parallel_tool_calls', 'metadata']);

/** A message's text: a string, or the text parts of a content array. */
function textOf(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts = content.filter((p): p is { type: 'text'; text: string } => typeof p === 'object' && p !== null && p.type === 'text' && typeof p.text === 'string');
    return parts.length > 0 ? parts.map((p) => p.text).join('') : null;
  }
  return null;
}

/**
 * The checks OpenAI's cookbook runs on chat fine-tuning data ("Data preparation and analysis for chat model
 * fine-tuning"), line by line, streaming (any file size): each line one JSON object with a non-empty
 * `messages` list; every message with a known role, no unknown keys, and content (unless it is a function
 * or tool call); at least one assistant message; `weight` 0 or 1 on assistant messages only; no example
 * over the per-example token limit. Plus the token statistics and billing estimate the cookbook prints.
 */
export async function validateJsonl(file: string, shown = file): Promise<ValidationReport> {
  const issues: ValidationIssue[] = [];
  const tally = new TokenTally();
  let examples = 0;
  let assistant = 0;
  let overLimit = 0;
  let billed = 0;
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    examples += 1;
    const at = line;
    const problem = (p: string): void => void issues.push({ line: at, problem: p });
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      problem(`not valid JSON (${(error as Error).message})`);
      continue;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      problem('not a JSON object');
      continue;
    }
    const top = Object.keys(row).filter((k) => !TOP_KEYS.has(k));
    if (top.length > 0) problem(`unknown key(s) ${top.join(', ')}`);
    const messages = (row as { messages?: unknown }).messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      problem('missing "messages" list');
      continue;
    }
    let usable = true;
    const counted: ChatMessage[] = [];
    let assistantHere = 0;
    messages.forEach((m: unknown, i) => {
      if (typeof m !== 'object' || m === null || Array.isArray(m)) {
        problem(`messages[${i}] is not an object`);
        usable = false;
        return;
      }
      const msg = m as Record<string, unknown>;
      const unknown = Object.keys(msg).filter((k) => !MESSAGE_KEYS.has(k));
      if (unknown.length > 0) problem(`messages[${i}]: unknown key(s) ${unknown.join(', ')}`);
      if (!('role' in msg)) {
        problem(`messages[${i}]: missing "role"`);
        usable = false;
      } else if (!ROLES.has(String(msg.role))) {
        problem(`messages[${i}]: unknown role ${JSON.stringify(msg.role)}`);
        usable = false;
      }
      const content = textOf(msg.content);
      const call = Boolean(msg.function_call || msg.tool_calls);
      if ((content === null || content.trim() === '') && !call) {
        problem(`messages[${i}]: missing content`);
        usable = false;
      }
      if ('weight' in msg && (msg.role !== 'assistant' || (msg.weight !== 0 && msg.weight !== 1))) problem(`messages[${i}]: "weight" must be 0 or 1, on assistant messages only`);
      const role = String(msg.role) as ChatMessage['role'];
      counted.push({ role, content: content ?? '' });
      if (role === 'assistant' && msg.weight !== 0) assistantHere += countMessageTokens([{ role, content: content ?? '' }]) - 3;
    });
    if (!messages.some((m: { role?: unknown } | null) => m?.role === 'assistant')) {
      problem('no assistant message');
      usable = false;
    }
    if (!usable) continue;
    const n = countMessageTokens(counted);
    tally.add(n);
    assistant += assistantHere;
    billed += Math.min(n, MAX_EXAMPLE_TOKENS);
    if (n > MAX_EXAMPLE_TOKENS) {
      overLimit += 1;
      problem(`${n.toLocaleString('en-US')} tokens, over the ${MAX_EXAMPLE_TOKENS.toLocaleString('en-US')}-token limit (it would be truncated)`);
    }
  }
  const warnings: string[] = [];
  if (examples < 10) warnings.push(`${examples} example(s): a training file needs at least 10`);
  const epochs = defaultEpochs(examples);
  return {
    file: shown,
    examples,
    issues,
    warnings,
    tokens: { total: tally.total, max: tally.percentile(100), p50: tally.percentile(50), p95: tally.percentile(95), assistant, overLimit },
    billing: { defaultEpochs: epochs, tokensPerEpoch: billed, tokens: billed * epochs },
  };
}
