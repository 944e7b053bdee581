import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RestyleError } from '../errors.js';
import { isLongLine, readLines, tooLong } from '../util/read-lines.js';
import { isSlackExportDir, parseDiscordExport, readDiscordExport, readSlackExport } from './chat-exports.js';
import type { SourceDoc, Warn } from './source.js';
import type { ZipLimits } from './zip.js';

const TEXT_EXT = new Set(['.txt', '.text', '.md', '.markdown']);

export interface InputPath {
  /** Absolute path. */
  abs: string;
  /** As shown in messages and document ids: relative to the working directory when inside it. */
  shown: string;
}

export interface IngestOptions {
  warn: Warn;
  /** Keep one person's messages from chat exports. */
  author?: string;
  /** Absolute directories never read (the output directory, when it sits inside an input folder). */
  exclude?: readonly string[];
  /** Caps on what a zip may unpack to (zip bombs). */
  zip?: ZipLimits;
  /** Text and .json files are read whole: bigger ones are skipped, saying so (default 64 MB; .jsonl streams). */
  maxFileBytes?: number;
}

/** The input limits a build passes through (config `corpus.zip`, `corpus.maxFileMB`). */
export type IngestLimits = Pick<IngestOptions, 'zip' | 'maxFileBytes'>;

export const MAX_FILE_BYTES = 64 * 2 ** 20;

/**
 * Resolve the `--in` paths against `cwd`. Every path that does not exist is named in one `file_not_found`
 * error, raised before anything is read or written.
 */
export function resolveInputs(paths: readonly string[], cwd: string): InputPath[] {
  const inputs = paths.map((p) => {
    const abs = resolve(cwd, p);
    return { abs, shown: shownPath(abs, cwd), given: p };
  });
  const missing = inputs.filter((i) => !existsSync(i.abs)).map((i) => i.given);
  if (missing.length > 0) throw new RestyleError('file_not_found', `${missing.join(', ')}: no such file or directory`, { details: { paths: missing } });
  return inputs.map(({ abs, shown }) => ({ abs, shown }));
}

export function shownPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/**
 * Every document under the inputs, in a fixed order (directories sorted, recursively), so the same inputs
 * always give the same blocks:
 * - `.txt` / `.md` files: one document each; binary, empty or undecodable ones are skipped with a warning;
 * - `.jsonl`: one document per row with a `text` string (rows sharing a `doc` value form one document);
 *   a bad row is an error naming `file:line`;
 * - DiscordChatExporter `.json`; Slack exports (a folder with channels.json, or a `.zip` of one);
 * - a file named explicitly with another extension is read as text.
 * Files of other kinds found inside folders are skipped, and counted in one warning.
 */
export async function* ingest(inputs: readonly InputPath[], cwd: string, o: IngestOptions): AsyncGenerator<SourceDoc> {
  const exclude = (o.exclude ?? []).map((d) => d.replace(/[\\/]+$/, '') + sep);
  const ignored = new Map<string, number>();
  for (const input of inputs) {
    const st = statSync(input.abs);
    // `rel`: the path under the --in root, what a file is whatever path leads to it.
    if (st.isDirectory()) yield* readDir(input.abs, input.shown, '');
    else yield* readFile(input.abs, input.shown, true, basename(input.abs));
  }
  if (ignored.size > 0) {
    const n = [...ignored.values()].reduce((a, b) => a + b, 0);
    o.warn(`skipped ${n} file(s) of other kinds inside the input folders (${[...ignored.keys()].sort().join(', ')})`);
  }

  async function* readDir(dir: string, shown: string, rel: string): AsyncGenerator<SourceDoc> {
    if (isSlackExportDir(dir)) {
      yield* readSlackExport(dir, shown, o.author, o.zip);
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.')) continue;
      const abs = join(dir, entry.name);
      if (exclude.some((d) => `${abs}${sep}`.startsWith(d))) continue;
      const child = shownPath(abs, cwd);
      const under = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* readDir(abs, child, under);
      else if (entry.isFile()) yield* readFile(abs, child, false, under);
    }
  }

  /** A file read whole must fit in memory several times over: past the cap it is skipped, with that reason. */
  function tooBig(file: string, shown: string): boolean {
    const cap = o.maxFileBytes ?? MAX_FILE_BYTES;
    const size = statSync(file).size;
    if (size <= cap) return false;
    const mb = (n: number): string => `${(n / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
    o.warn(`${shown}: skipped (${mb(size)}, over the ${mb(cap)} limit for a file read whole: raise corpus.maxFileMB, split it, or give it as .jsonl, which is streamed)`);
    return true;
  }

  async function* readFile(file: string, shown: string, named: boolean, rel: string): AsyncGenerator<SourceDoc> {
    const ext = extname(file).toLowerCase();
    if (ext === '.jsonl') yield* readJsonl(file, shown, rel);
    else if (ext === '.zip') {
      let docs: Iterable<SourceDoc>;
      try {
        docs = readSlackExport(file, shown, o.author, o.zip);
      } catch (error) {
        // A zip found inside a folder may be anything; one named on the command line must be an export.
        if (named || !(error instanceof RestyleError)) throw error;
        o.warn(`${shown}: skipped (${error.message.slice(shown.length + 2)})`);
        return;
      }
      yield* docs;
    } else if ((ext === '.json' || named || TEXT_EXT.has(ext)) && tooBig(file, shown)) {
      return;
    } else if (ext === '.json') {
      const data = parseDiscordExport(readJson(file, shown));
      if (data) yield* readDiscordExport(data, shown, o.author);
      else if (named) throw new RestyleError('file_invalid', `${shown}: not a DiscordChatExporter export (expected "channel" and "messages")`, { details: { file: shown } });
      else o.warn(`${shown}: skipped (JSON, but not a DiscordChatExporter export)`);
    } else if (named || TEXT_EXT.has(ext)) {
      const text = readText(file, shown, o.warn);
      if (text !== null) yield { id: shown, key: `file:${rel}`, text };
    } else {
      ignored.set(ext || '(no extension)', (ignored.get(ext || '(no extension)') ?? 0) + 1);
    }
  }
}

/** A text file's contents, or null (with a warning naming it) when it is binary, not UTF-8 or empty. */
export function readText(file: string, shown: string, warn: Warn): string | null {
  const bytes = readFileSync(file);
  if (bytes.includes(0)) {
    warn(`${shown}: skipped (binary file)`);
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    warn(`${shown}: skipped (not valid UTF-8)`);
    return null;
  }
  if (text.trim() === '') {
    warn(`${shown}: skipped (empty)`);
    return null;
  }
  return text.replace(/\r\n?/g, '\n');
}

function readJson(file: string, shown: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RestyleError('file_invalid', `${shown}: not valid JSON (${(error as Error).message})`, { details: { file: shown } });
  }
}

async function* readJsonl(file: string, shown: string, rel: string): AsyncGenerator<SourceDoc> {
  let n = 0;
  for await (const line of readLines(file)) {
    n += 1;
    if (isLongLine(line)) throw new RestyleError('file_invalid', `${shown}:${n}: ${tooLong(line.chars)}`, { details: { file: shown, line: n } });
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new RestyleError('file_invalid', `${shown}:${n}: not valid JSON (${(error as Error).message})`, { details: { file: shown, line: n } });
    }
    const r = row as { text?: unknown; id?: unknown; doc?: unknown } | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r) || typeof r.text !== 'string') {
      throw new RestyleError('file_invalid', `${shown}:${n}: expected an object with a "text" string`, { details: { file: shown, line: n } });
    }
    if (r.text.trim() === '') continue;
    const key = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
    const doc = key(r.doc);
    const id = key(r.id);
    const within = doc !== undefined ? `#${doc}` : id !== undefined ? `#${id}` : `:${n}`;
    yield { id: `${shown}${within}`, key: `file:${rel}${within}`, ref: id ?? String(n), text: r.text.replace(/\r\n?/g, '\n') };
  }
}
