import { countMessageTokens } from '../llm/tokens.js';
import type { ChatMessage } from '../llm/types.js';
import { isLongLine, readLines, tooLong } from '../util/read-lines.js';
import { defaultEpochs, exampleTokenLimit, TokenTally } from './stats.js';

export interface ValidationIssue {
  line: number;
  problem: string;
}

export interface ValidationReport {
  file: string;
  /** Lines that parsed into a usable example; lines with a problem that makes them unusable are not counted. */
  examples: number;
  /** Every line of the file, blank ones included. */
  lines: number;
  /** Problems that make a line unusable (or would make OpenAI refuse the file), by line. */
  issues: ValidationIssue[];
  /** Remarks that are not errors (too few examples, no system or user message…), each with its count. */
  warnings: string[];
  /** Why the file was not checked as fine-tuning data (restyle's own pairs.jsonl, picked up by a glob). */
  skipped?: string;
  /** A validation file (`valid.jsonl`, `destyle.valid.jsonl`…): the 10-example minimum and the billing are a training file's. */
  validation?: boolean;
  /** The cookbook's counts: usable examples without a system / without a user message. */
  missing: { system: number; user: number };
  tokens: {
    total: number;
    max: number;
    p50: number;
    p95: number;
    /** Tokens the model is trained to produce (assistant messages with weight ≠ 0). */
    assistant: number;
    /** The per-example limit applied (the target base model's). */
    limit: number;
    /** Examples over the per-example limit (they would be truncated). */
    overLimit: number;
  };
  /** What OpenAI would bill for training on this file with its default epoch count (the cookbook's estimate). */
  billing: { defaultEpochs: number; tokensPerEpoch: number; tokens: number };
}

/** `valid.jsonl`, `destyle.valid.jsonl`, `validation.jsonl`: a validation file by its name. */
export function isValidationFile(name: string): boolean {
  return /(^|[/\\._-])valid(ation)?\.jsonl$/i.test(name);
}

/** The problem a restyle pair (a line of pairs.jsonl) is as fine-tuning data. */
const PAIR_PROBLEM = 'a restyle pair {"neutral", "styled"} (pairs.jsonl), not a fine-tuning example: upload train.jsonl and valid.jsonl (destyle.*.jsonl for the de-styler)';

export interface ValidateOptions {
  /** The base model the file is for: it sets the per-example token limit (default: the OpenAI trainer's). */
  model?: string;
  /** Overrides the model's per-example token limit. */
  maxExampleTokens?: number;
}

// OpenAI's chat fine-tuning input (FineTuneChatRequestInput): these roles, message keys and top-level keys.
// The decisions per case, against the cookbook's checks, are in docs/training.md ("What corpus validate accepts").
const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'function']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'function_call', 'tool_calls', 'tool_call_id', 'refusal']);
const TOP_KEYS = new Set(['messages', 'tools', 'functions', 'parallel_tool_calls']);

/** A message's text: a string, or the text parts of a content array; undefined when content is of another type. */
function textOf(content: unknown): string | null | undefined {
  if (content === undefined || content === null) return null;
  if (typeof content === 'string') return content;
  if (Array.isArray(content) && content.every((p) => typeof p === 'object' && p !== null && typeof (p as { type?: unknown }).type === 'string')) {
    return content
      .filter((p: { type: string; text?: unknown }) => p.type === 'text' && typeof p.text === 'string')
      .map((p: { text: string }) => p.text)
      .join('');
  }
  return undefined;
}

interface Checked {
  usable: boolean;
  problems: string[];
  notes: string[];
  messages: ChatMessage[];
  assistantTokens: number;
  hasSystem: boolean;
  hasUser: boolean;
}

/** One message's problems (pushed to `c`), and what it adds to the token count. */
function checkMessage(m: unknown, i: number, c: Checked, callIds: Set<string>): void {
  const bad = (p: string, unusable = true): void => {
    c.problems.push(`messages[${i}]: ${p}`);
    if (unusable) c.usable = false;
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad('not an object');
  const msg = m as Record<string, unknown>;
  const unknown = Object.keys(msg).filter((k) => !MESSAGE_KEYS.has(k));
  if (unknown.length > 0) bad(`unknown key(s) ${unknown.join(', ')}`);
  const role = msg.role;
  if (role === undefined) bad('missing "role"');
  else if (role === 'developer') bad('role "developer" is not accepted in fine-tuning data: use "system"');
  else if (!ROLES.has(String(role))) bad(`unknown role ${JSON.stringify(role)}`);
  const text = textOf(msg.content);
  const call = Boolean(msg.function_call || msg.tool_calls);
  if (text === undefined) bad('content must be a string or a list of content parts');
  else if ((text === null || text === '') && !(role === 'assistant' && call)) bad(msg.content === undefined ? 'missing content' : 'empty content');
  else if (text !== null && text.trim() === '') c.notes.push(`messages[${i}]: content is only whitespace`);
  if ('weight' in msg && (role !== 'assistant' || (msg.weight !== 0 && msg.weight !== 1))) bad('"weight" must be 0 or 1, on assistant messages only');
  if (Array.isArray(msg.tool_calls)) for (const t of msg.tool_calls as Array<{ id?: unknown }>) if (typeof t?.id === 'string') callIds.add(t.id);
  if (role === 'tool' && !(typeof msg.tool_call_id === 'string' && callIds.has(msg.tool_call_id))) bad(`tool message answers tool_call_id ${JSON.stringify(msg.tool_call_id)}, which no earlier assistant tool_calls made`);
  if (role === 'system') c.hasSystem = true;
  if (role === 'user') c.hasUser = true;
  const counted: ChatMessage = { role: String(role) as ChatMessage['role'], content: text ?? '' };
  c.messages.push(counted);
  if (role === 'assistant' && msg.weight !== 0) c.assistantTokens += countMessageTokens([counted]) - 3;
}

/** One line's verdict. */
function checkLine(text: string, first: boolean): Checked {
  const c: Checked = { usable: true, problems: [], notes: [], messages: [], assistantTokens: 0, hasSystem: false, hasUser: false };
  const fail = (p: string): Checked => ({ ...c, usable: false, problems: [...c.problems, p] });
  if (text.trim() === '') return fail('blank line: every line must be one JSON example');
  if (first && text.startsWith('\uFEFF')) return fail('the file starts with a byte-order mark (BOM): save it as UTF-8 without BOM');
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return fail('not a JSON object');
  const r = row as Record<string, unknown>;
  if ('prompt' in r || 'completion' in r) return fail('prompt/completion is the legacy completions format: chat models need {"messages": [...]}');
  // `corpus build` writes pairs.jsonl beside the training files; a glob like out/*.jsonl picks it up too.
  if ('neutral' in r && 'styled' in r && !('messages' in r)) return fail(PAIR_PROBLEM);
  const top = Object.keys(r).filter((k) => !TOP_KEYS.has(k));
  if (top.length > 0) c.problems.push(`unknown key(s) ${top.join(', ')}`);
  if (!Array.isArray(r.messages) || r.messages.length === 0) return fail('missing "messages" list');
  const callIds = new Set<string>();
  r.messages.forEach((m, i) => checkMessage(m, i, c, callIds));
  if (top.length > 0) c.usable = false;
  if (!r.messages.some((m: { role?: unknown } | null) => m?.role === 'assistant')) {
    c.problems.push('no assistant message');
    c.usable = false;
  }
  return c;
}

/**
 * The checks OpenAI's cookbook runs on chat fine-tuning data ("Data preparation and analysis for chat model
 * fine-tuning"), decided against OpenAI's chat fine-tuning format where the two differ (content parts and
 * tool calls are valid; a blank line, a BOM or an unknown key is not), line by line, streaming. Counts
 * (examples, tokens, epochs, billing) cover only the lines that are usable examples.
 */
export async function validateJsonl(file: string, shown = file, options: ValidateOptions = {}): Promise<ValidationReport> {
  const limit = options.maxExampleTokens ?? exampleTokenLimit(options.model);
  const issues: ValidationIssue[] = [];
  const notes: string[] = [];
  const tally = new TokenTally();
  const missing = { system: 0, user: 0 };
  let assistant = 0;
  let overLimit = 0;
  let billed = 0;
  let line = 0;
  for await (const text of readLines(file)) {
    line += 1;
    if (isLongLine(text)) {
      issues.push({ line, problem: tooLong(text.chars) });
      continue;
    }
    const c = checkLine(text, line === 1);
    for (const p of c.problems) issues.push({ line, problem: p });
    for (const n of c.notes) notes.push(`line ${line}: ${n}`);
    if (!c.usable) continue;
    const n = countMessageTokens(c.messages);
    tally.add(n);
    assistant += c.assistantTokens;
    billed += Math.min(n, limit);
    if (!c.hasSystem) missing.system += 1;
    if (!c.hasUser) missing.user += 1;
    if (n > limit) {
      overLimit += 1;
      issues.push({ line, problem: `${n.toLocaleString('en-US')} tokens, over the ${limit.toLocaleString('en-US')}-token limit per example (it would be truncated)` });
    }
  }
  const examples = tally.count;
  const warnings: string[] = [];
  // A file of restyle pairs only is not fine-tuning data gone wrong: it is skipped, as what it is.
  const pairsOnly = line > 0 && issues.length === line && issues.every((i) => i.problem === PAIR_PROBLEM);
  const skipped = pairsOnly ? `restyle's pairs.jsonl (${line.toLocaleString('en-US')} pair(s)), not fine-tuning data: not checked; upload train.jsonl and valid.jsonl (destyle.*.jsonl for the de-styler)` : undefined;
  const validation = isValidationFile(shown);
  if (examples < 10 && !validation && !pairsOnly) warnings.push(`${examples} usable example(s): a training file needs at least 10`);
  if (missing.system > 0) warnings.push(`${missing.system} example(s) without a system message`);
  if (missing.user > 0) warnings.push(`${missing.user} example(s) without a user message`);
  warnings.push(...notes);
  const epochs = defaultEpochs(examples);
  return {
    file: shown,
    examples,
    lines: line,
    issues: pairsOnly ? [] : issues,
    warnings,
    ...(skipped ? { skipped } : {}),
    ...(validation ? { validation } : {}),
    missing,
    tokens: { total: tally.total, max: tally.percentile(100), p50: tally.percentile(50), p95: tally.percentile(95), assistant, limit, overLimit },
    billing: { defaultEpochs: epochs, tokensPerEpoch: billed, tokens: billed * epochs },
  };
}
