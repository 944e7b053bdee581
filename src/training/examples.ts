import { existsSync } from 'node:fs';
import { RestyleError } from '../errors.js';
import { isLongLine, readLines, tooLong } from '../util/read-lines.js';

/** One single-turn chat fine-tuning example: system prompt, the user's text, the wanted reply. */
export interface ChatExample {
  /** 1-based line in the file. */
  line: number;
  system: string;
  user: string;
  assistant: string;
}

/**
 * The examples of an OpenAI chat JSONL file, in order. A line that is not such an example is a
 * `file_invalid` error naming `file:line` (what the corpus builder writes always reads back).
 */
export async function readExamples(file: string, shown = file): Promise<ChatExample[]> {
  if (!existsSync(file)) throw new RestyleError('file_not_found', `${shown}: no such file`, { details: { file: shown } });
  const out: ChatExample[] = [];
  let line = 0;
  for await (const text of readLines(file)) {
    line += 1;
    const bad = (why: string): RestyleError => new RestyleError('file_invalid', `${shown}:${line}: ${why}`, { details: { file: shown, line } });
    if (isLongLine(text)) throw bad(tooLong(text.chars));
    if (text.trim() === '') continue;
    let row: { messages?: Array<{ role?: unknown; content?: unknown }> };
    try {
      row = JSON.parse(text) as typeof row;
    } catch {
      throw bad('not valid JSON');
    }
    const messages = Array.isArray(row?.messages) ? row.messages : null;
    if (!messages) throw bad('missing "messages" list');
    const content = (role: string): string | undefined => {
      const m = messages.filter((x) => x?.role === role).at(-1);
      return typeof m?.content === 'string' ? m.content : undefined;
    };
    const user = content('user');
    const assistant = content('assistant');
    if (user === undefined || assistant === undefined) throw bad('needs a user and an assistant message');
    out.push({ line, system: content('system') ?? '', user, assistant });
  }
  return out;
}
