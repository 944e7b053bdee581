import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { RestyleError } from '../errors.js';
import type { SourceDoc } from './ingest.js';

/**
 * Chat exports as corpus input. Each channel-day file (Slack) or channel file (Discord) is one document for
 * the train/valid split; each message keeps its id as provenance. `author` keeps one person's messages.
 */
interface SlackMessage {
  type?: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
}

const KEEP_SUBTYPES = new Set([undefined, 'thread_broadcast', 'me_message']);

/** A Slack export: a folder (channels.json / users.json and channel/YYYY-MM-DD.json) or its .zip. */
export function isSlackExport(path: string): boolean {
  if (path.toLowerCase().endsWith('.zip')) return true;
  try {
    return statSync(path).isDirectory() && readdirSync(path).some((f) => f === 'channels.json' || f === 'users.json');
  } catch {
    return false;
  }
}

export function* readSlackExport(path: string, shown: string, author?: string): Generator<SourceDoc> {
  const files: Array<{ name: string; read: () => string }> = [];
  if (path.toLowerCase().endsWith('.zip')) {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(new Uint8Array(readFileSync(path)));
    } catch (error) {
      throw new RestyleError('file_invalid', `${shown}: not a readable zip (${(error as Error).message})`, { details: { file: shown } });
    }
    for (const name of Object.keys(entries).sort()) {
      if (/^(?:[^/]+\/)?[^/]+\/\d{4}-\d{2}-\d{2}\.json$/.test(name)) files.push({ name, read: () => strFromU8(entries[name]!) });
    }
  } else {
    for (const channel of readdirSync(path).sort()) {
      const dir = join(path, channel);
      if (!statSync(dir).isDirectory()) continue;
      for (const day of readdirSync(dir).sort()) {
        if (/^\d{4}-\d{2}-\d{2}\.json$/.test(day)) files.push({ name: relative(path, join(dir, day)), read: () => readFileSync(join(dir, day), 'utf8') });
      }
    }
  }
  for (const f of files) {
    const id = `${shown}/${f.name.replace(/^[^/]+\/(?=[^/]+\/)/, '')}`;
    let messages: SlackMessage[];
    try {
      messages = JSON.parse(f.read()) as SlackMessage[];
    } catch (error) {
      throw new RestyleError('file_invalid', `${id}: not valid JSON (${(error as Error).message})`, { details: { file: id } });
    }
    if (!Array.isArray(messages)) throw new RestyleError('file_invalid', `${id}: expected a list of messages`, { details: { file: id } });
    const texts = messages
      .filter((m) => m.type === 'message' && KEEP_SUBTYPES.has(m.subtype) && !m.bot_id && typeof m.text === 'string' && m.text.trim() !== '')
      .filter((m) => !author || m.user === author)
      .map((m) => ({ ref: m.ts ?? '', text: unescapeSlack(m.text!) }));
    for (const t of texts) yield { id, ref: t.ref, text: t.text };
  }
}

/** Slack escapes &, < and > in message text; the corpus wants the characters people typed. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

interface DiscordExport {
  channel?: { id?: string; name?: string };
  messages?: Array<{ id?: string; type?: string; content?: string; author?: { id?: string; name?: string; isBot?: boolean } }>;
}

/** A DiscordChatExporter JSON file: `{guild, channel, messages: [...]}`. */
export function parseDiscordExport(raw: unknown): DiscordExport | null {
  const d = raw as DiscordExport;
  return d && typeof d === 'object' && Array.isArray(d.messages) && typeof d.channel === 'object' ? d : null;
}

export function* readDiscordExport(data: DiscordExport, shown: string, author?: string): Generator<SourceDoc> {
  for (const m of data.messages ?? []) {
    if (m.author?.isBot) continue;
    if (m.type && !['Default', 'Reply'].includes(m.type)) continue;
    if (typeof m.content !== 'string' || m.content.trim() === '') continue;
    if (author && m.author?.id !== author && m.author?.name !== author) continue;
    yield { id: shown, ref: m.id ?? '', text: m.content };
  }
}
