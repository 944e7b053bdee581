import { RestyleError } from '../errors.js';
import type { RestyleOptions, RestyleResult } from '../restyle/restyler.js';
import type { BlockBudget } from './block-budget.js';

/** The part of the Restyler the proxy uses (one method, so tests and other hosts can pass their own). */
export interface TextRestyler {
  restyle(text: string, options: RestyleOptions): Promise<RestyleResult>;
}

/** What the proxy adds to a completion: which style, what it cost, and whether any block fell back. */
export interface ProxySummary {
  style: string | null;
  by: string;
  styled: boolean;
  blocks: number;
  fallbacks: number;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  reason?: string;
}

/**
 * Structured output is never restyled: JSON mode and JSON schemas are for programs, not people. (Tool calls
 * and function arguments are never touched either; they are not message text.)
 */
export function wantsStructuredOutput(request: Record<string, unknown>): boolean {
  const format = request.response_format as { type?: unknown } | undefined;
  return format?.type === 'json_object' || format?.type === 'json_schema';
}

type Json = Record<string, unknown>;

export function emptySummary(style: string | null, by: string, reason?: string): ProxySummary {
  return { style, by, styled: false, blocks: 0, fallbacks: 0, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, ...(reason ? { reason } : {}) };
}

/** Fold one restyle result into the summary. */
export function addResult(summary: ProxySummary, r: RestyleResult): void {
  summary.styled ||= r.styled;
  summary.blocks += r.blocks;
  summary.fallbacks += r.fallbacks;
  summary.usage.prompt_tokens += r.usage.promptTokens;
  summary.usage.completion_tokens += r.usage.completionTokens;
  summary.usage.total_tokens += r.usage.totalTokens;
  if (r.reason && !summary.reason) summary.reason = r.reason;
}

/** Add the styling calls to a completion's `usage` (the caller pays for both; `restyle.usage` has the split). */
export function addUsage(usage: unknown, summary: ProxySummary): unknown {
  if (!usage || typeof usage !== 'object') return usage;
  const u = { ...(usage as Json) };
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const) {
    if (typeof u[k] === 'number') u[k] = (u[k] as number) + summary.usage[k];
  }
  return u;
}

/**
 * Restyle a non-streamed `chat.completion`: each choice's assistant text (a string, or the `text` parts of a
 * content array) goes through the filter with the chosen style; everything else (tool calls, refusals, audio,
 * logprobs, ids) is returned as it came. The filter fails open, so a model outage returns the upstream text,
 * and so does an answer longer than `restyle.maxChars` (`restyle.reason: "text_too_long"`).
 */
export async function restyleCompletion(
  completion: Json,
  restyler: TextRestyler,
  choice: { style: string; by: string },
  { budget, ...options }: Pick<RestyleOptions, 'signal' | 'deadlineMs'> & { budget?: BlockBudget } = {},
): Promise<{ body: Json; summary: ProxySummary }> {
  const summary = emptySummary(choice.style, choice.by);
  const restyle = async (text: string): Promise<string> => {
    if (text.trim() === '') return text;
    let r: RestyleResult;
    try {
      r = await restyler.restyle(text, { style: choice.style, ...options });
    } catch (error) {
      // An answer past restyle.maxChars: the caller's request was fine and the tokens are paid, so it goes back
      // as written (marked in `restyle.reason`), as the streamed path passes on what is past the limit.
      if (error instanceof RestyleError && error.code === 'text_too_long') {
        summary.reason ??= 'text_too_long';
        return text;
      }
      throw error;
    }
    addResult(summary, r);
    return r.text;
  };
  const choices = Array.isArray(completion.choices) ? (completion.choices as unknown[]) : [];
  // A choice that is not an object (`choices: [null]`) is a broken upstream, named as one (502), not our 500.
  const bad = malformedChoice(choices);
  if (bad) throw new RestyleError('llm_error', `the upstream answered 200 with a malformed chat completion: ${bad}`, { details: { status: 502 } });
  const fits = withinBudget(choices as Json[], budget);
  const styled = await Promise.all(
    (choices as Json[]).map(async (c, i) => {
      const message = c.message as Json | undefined;
      if (!message || message.role !== 'assistant') return c;
      if (!fits[i]) {
        summary.reason ??= 'max_blocks';
        return c;
      }
      return { ...c, message: { ...message, content: await restyleContent(message.content, restyle) } };
    }),
  );
  const body: Json = { ...completion, choices: styled, restyle: summary };
  if ('usage' in completion) body.usage = addUsage(completion.usage, summary);
  return { body, summary };
}

async function restyleContent(content: unknown, restyle: (text: string) => Promise<string>): Promise<unknown> {
  if (typeof content === 'string') return restyle(content);
  if (!Array.isArray(content)) return content;
  return Promise.all(
    content.map(async (part: unknown) => {
      const p = part as Json;
      return p && p.type === 'text' && typeof p.text === 'string' ? { ...p, text: await restyle(p.text) } : part;
    }),
  );
}

/**
 * Which choices are restyled: in order, each whose blocks still fit the request's budget (the first always
 * does, unless its text parts together exceed it); the others pass as written (`restyle.reason: "max_blocks"`).
 */
function withinBudget(choices: Json[], budget: BlockBudget | undefined): boolean[] {
  let left = budget?.maxBlocks ?? Infinity;
  return choices.map((c) => {
    const message = c.message as Json | undefined;
    if (!budget || !message || message.role !== 'assistant') return true;
    const need = textsOf(message.content).reduce((n, text) => n + budget.blocksOf(text), 0);
    if (need > left) return false;
    left -= need;
    return true;
  });
}

function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p: unknown) => (p && typeof p === 'object' && (p as Json).type === 'text' && typeof (p as Json).text === 'string' ? [(p as Json).text as string] : []));
}

/** The first entry of a completion's or chunk's `choices` that is not an object, named (`choices[1] is null, not an object`). */
export function malformedChoice(choices: unknown): string | undefined {
  if (!Array.isArray(choices)) return undefined;
  const bad = choices.findIndex((c) => !c || typeof c !== 'object' || Array.isArray(c));
  return bad < 0 ? undefined : `choices[${bad}] is ${kindOf(choices[bad])}, not an object`;
}

/** What a JSON value is, for messages: `null`, `a list`, `a string`… */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
