import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { RestyleError } from '../errors.js';
import { isSlackExport, parseDiscordExport, readDiscordExport, readSlackExport } from './chat-exports.js';

/** One source document: the unit the train/valid split keeps whole. */
export interface SourceDoc {
  /** Stable id for provenance and the split (relative path, or `file:line` for JSONL rows). */
  id: string;
  text: string;
  /** Where inside the document (a chat message id), for provenance. */
  ref?: string;
}

const TEXT_EXT = new Set(['.txt', '.md', '.markdown']);

export interface IngestWarnings {
  warn(message: string): void;
}

/**
 * Every document under the given paths: .txt/.md files (directories recursively, in sorted order so runs
 * are reproducible) and .jsonl files with a `text` field per line. A path that does not exist is an error
 * naming it, raised before anything is read; binary, empty or undecodable files are skipped with a warning.
 */
export async function* ingest(paths: readonly string[], cwd: string, log: IngestWarnings, author?: string): AsyncGenerator<SourceDoc> {
  for (const p of paths) {
    if (!existsSync(join(cwd, p)) && !existsSync(p)) throw new RestyleError('file_not_found', `${p}: no such file or directory`, { details: { path: p } });
  }
  for (const p of paths) {
    const abs = existsSync(p) && p.startsWith('/') ? p : join(cwd, p);
    if (isSlackExport(abs)) {
      yield* readSlackExport(abs, relative(cwd, abs) || abs, author);
      continue;
    }
    for (const file of listFiles(abs)) {
      const shown = relative(cwd, file) || file;
      const ext = extname(file).toLowerCase();
      if (ext === '.jsonl') yield* readJsonl(file, shown);
      else if (ext === '.json') {
        const data = parseDiscordExport(readJson(file, shown));
        if (!data) throw new RestyleError('file_invalid', `${shown}: not a DiscordChatExporter export (expected "channel" and "messages")`, { details: { file: shown } });
        yield* readDiscordExport(data, shown, author);
      }
      else if (TEXT_EXT.has(ext)) {
        const text = readText(file, shown, log);
        if (text !== null) yield { id: shown, text };
      } else if (statSync(abs).isFile()) {
        // Named explicitly: try it as text.
        const text = readText(file, shown, log);
        if (text !== null) yield { id: shown, text };
      }
    }
  }
}

function listFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile() && (TEXT_EXT.has(extname(entry.name).toLowerCase()) || ['.jsonl', '.json'].includes(extname(entry.name).toLowerCase()))) out.push(full);
  }
  return out;
}

function readText(file: string, shown: string, log: IngestWarnings): string | null {
  const bytes = readFileSync(file);
  if (bytes.includes(0)) {
    log.warn(`${shown}: skipped (binary file)`);
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    log.warn(`${shown}: skipped (not valid UTF-8)`);
    return null;
  }
  if (text.trim() === '') {
    log.warn(`${shown}: skipped (empty)`);
    return null;
  }
  return text.replace(/\r\n/g, '\n');
}

function readJson(file: string, shown: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RestyleError('file_invalid', `${shown}: not valid JSON (${(error as Error).message})`, { details: { file: shown } });
  }
}

async function* readJsonl(file: string, shown: string): AsyncGenerator<SourceDoc> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new RestyleError('file_invalid', `${shown}:${n}: not valid JSON (${(error as Error).message})`, { details: { file: shown, line: n } });
    }
    const text = (row as { text?: unknown })?.text;
    if (typeof text !== 'string') throw new RestyleError('file_invalid', `${shown}:${n}: expected an object with a "text" string`, { details: { file: shown, line: n } });
    const id = (row as { id?: unknown }).id;
    if (text.trim() !== '') yield { id: typeof id === 'string' || typeof id === 'number' ? `${shown}#${id}` : `${shown}:${n}`, text };
  }
}
