/** What `/restyle …` asked for. Platforms with typed options (Discord) build these directly. */
export type BotCommand =
  | { kind: 'restyle'; text: string; style?: string }
  | { kind: 'map'; style: string }
  | { kind: 'unmap' }
  | { kind: 'styles' }
  | { kind: 'status' }
  | { kind: 'review' }
  | { kind: 'forget' }
  | { kind: 'help' };

export const SUBCOMMANDS = ['map', 'unmap', 'styles', 'status', 'review', 'forget', 'help'] as const;

const STYLE_TOKEN = /^style=(\S+)$/i;

/**
 * Parse the text after `/restyle`. A subcommand counts only when the whole text has its shape
 * (`map STYLE`, or one bare word such as `status`), so "/restyle help is on the way" restyles the text.
 * `style=NAME` may lead or trail the text to restyle.
 */
export function parseCommand(input: string): BotCommand {
  const text = input.trim();
  const words = text.split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (words.length === 0) return { kind: 'help' };
  if (words.length === 1 && first && (SUBCOMMANDS as readonly string[]).includes(first) && first !== 'map') {
    return { kind: first as Exclude<BotCommand['kind'], 'restyle' | 'map'> } as BotCommand;
  }
  if (words.length === 2 && first === 'map') return { kind: 'map', style: words[1]! };

  const lead = STYLE_TOKEN.exec(words[0]!);
  if (lead) return { kind: 'restyle', style: lead[1]!, text: text.slice(words[0]!.length).trim() };
  const last = words[words.length - 1]!;
  const trail = STYLE_TOKEN.exec(last);
  if (trail && words.length > 1) return { kind: 'restyle', style: trail[1]!, text: text.slice(0, text.length - last.length).trim() };
  return { kind: 'restyle', text };
}
