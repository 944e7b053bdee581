import { promptParams } from '../restyle/messages.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regex matching every rendering of a prompt template: the literal text exactly, each `{{param}}` any
 * text. The seed's rule is that the live prompt must literally match the training prompt; this is how we
 * check a data file against a style's prompt, and how eval recovers the parameters an example was built with.
 */
export function promptPattern(template: string): RegExp {
  let source = '';
  let last = 0;
  const seen = new Map<string, number>();
  let group = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    source += escapeRegex(template.slice(last, m.index));
    const name = m[1]!;
    const earlier = seen.get(name);
    if (earlier !== undefined) source += `\\${earlier}`;
    else {
      group += 1;
      seen.set(name, group);
      source += '([\\s\\S]*?)';
    }
    last = m.index + m[0].length;
  }
  source += escapeRegex(template.slice(last));
  return new RegExp(`^${source}$`);
}

/** The parameters `system` was rendered with from `template`, or null when it is not a rendering of it. */
export function matchPrompt(template: string, system: string): Record<string, string> | null {
  const m = promptPattern(template).exec(system);
  if (!m) return null;
  const names = promptParams(template);
  return Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? '']));
}
