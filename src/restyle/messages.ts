import { createHash } from 'node:crypto';
import { RestyleError } from '../errors.js';
import type { ChatMessage } from '../llm/types.js';

/** What the message builder needs from a style: its prompt template and default parameters. */
export interface PromptSource {
  name?: string;
  prompt: string;
  params?: Record<string, string>;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

/** The `{{name}}` parameters a prompt template uses, in order of first use. */
export function promptParams(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** `input_invalid` for a parameter the prompt has no `{{name}}` for: a typo must not be silently ignored. */
export function checkParams(template: string, params: Record<string, string> | undefined, styleName: string): void {
  const used = promptParams(template);
  const unknown = Object.keys(params ?? {}).filter((k) => !used.includes(k));
  if (unknown.length === 0) return;
  throw new RestyleError(
    'input_invalid',
    `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} for style "${styleName}": its prompt uses ${used.length ? used.map((k) => `{{${k}}}`).join(', ') : 'no parameters'}`,
    { details: { params: unknown, style: styleName, field: 'params' } },
  );
}

/** Fill `{{param}}`s; a parameter the template uses but nobody supplied is an error naming it. */
export function renderPrompt(template: string, params: Record<string, string> = {}, styleName?: string): string {
  return template.replace(PLACEHOLDER, (_, key: string) => {
    const value = params[key];
    if (value === undefined) {
      const where = styleName ? ` of style "${styleName}"` : '';
      throw new RestyleError('param_missing', `missing parameter "${key}" for the prompt${where}: pass --param ${key}=… or set styles.${styleName ?? '<style>'}.params.${key}`, {
        details: { param: key, style: styleName },
      });
    }
    return value;
  });
}

/**
 * THE one function that turns (style, params, text) into chat messages — for live requests and for
 * every training export — so the prompt a model is trained with and the one it is asked with can never
 * drift apart (the seed's rule: the prompt must literally match). Call-time params override the style's.
 */
export function buildMessages(style: PromptSource, text: string, params: Record<string, string> = {}): ChatMessage[] {
  const system = renderPrompt(style.prompt, { ...style.params, ...params }, style.name);
  return [
    { role: 'system', content: system },
    { role: 'user', content: text },
  ];
}

/** The training example for one pair: the same messages plus the wanted reply. */
export function buildExample(style: PromptSource, input: string, output: string, params: Record<string, string> = {}): { messages: ChatMessage[] } {
  return { messages: [...buildMessages(style, input, params), { role: 'assistant', content: output }] };
}

/**
 * Hash of the prompt template (unrendered), recorded with every trained model so `restyle doctor`
 * can warn when a style's prompt changed after its model was trained.
 */
export function promptHash(template: string): string {
  return createHash('sha256').update(template, 'utf8').digest('hex').slice(0, 16);
}
