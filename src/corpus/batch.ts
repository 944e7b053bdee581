import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type OpenAI from 'openai';
import { toStreamingFile } from 'openai';
import { RestyleError } from '../errors.js';
import { expectApiObject } from '../llm/api-object.js';
import { isLongLine, MAX_LINE_CHARS, readLines, splitLines } from '../util/read-lines.js';
import type { EditorAnswer, EditorCache } from './cache.js';
import { AtomicJsonl, writeFileAtomic } from './write.js';

/** One editor request for the Batch API: the cache key doubles as `custom_id`, so results join back by it. */
export interface BatchRequest {
  key: string;
  body: Record<string, unknown>;
}

export interface BatchDeps {
  sdk: OpenAI;
  /** Map an SDK error to a RestyleError naming the endpoint (LlmClient.toError). */
  toError: (error: unknown) => RestyleError;
  /** `OUT/.cache/batch`: the state file and the input files of batches not yet collected. */
  dir: string;
  pollMs: number;
  log: (line: string) => void;
  /** Called after every poll with the requests answered so far across this run's batches. */
  onPoll?: (counts: { completed: number; failed: number; total: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  /** The Batch API's limits per batch (50,000 requests, 200 MB); lower to split sooner. */
  maxRequests?: number;
  maxBytes?: number;
  /** The longest result line read (MAX_LINE_CHARS); a longer one is skipped, never built whole. */
  maxLineChars?: number;
}

export interface BatchOutcome {
  /** Requests sent in batches submitted by this run. */
  submitted: number;
  /** Batches collected by this run (submitted now or by an interrupted earlier run). */
  collected: string[];
  /** Keys whose line failed (or never came back), with the reason; the next run submits them again. */
  failures: Map<string, string>;
  usage: { promptTokens: number; completionTokens: number };
  /** Answers written to the cache. */
  answered: number;
}

interface BatchRecord {
  /** Local copy of the input (kept until collected, for the keys it covers). */
  file: string;
  inputHash: string;
  count: number;
  inputFileId?: string;
  batchId?: string;
}

interface BatchState {
  batches: BatchRecord[];
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
const ENDPOINT = '/v1/chat/completions';

/**
 * The editor's work through OpenAI's Batch API (half the price, results within 24 h): write the missing
 * requests as JSONL (split at the API's 50,000-request / 200 MB limits), upload, create the batches, poll,
 * then stream each output file into the cache by `custom_id`. Every step is recorded in
 * `OUT/.cache/batch/state.json` before the next one starts, so a run killed while waiting resumes polling
 * the same batches instead of paying twice (a batch created just before the kill, before its id was
 * saved, is found again by its input file id).
 */
export async function runBatches(requests: AsyncIterable<BatchRequest>, cache: EditorCache, deps: BatchDeps): Promise<BatchOutcome> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  mkdirSync(deps.dir, { recursive: true });
  const stateFile = join(deps.dir, 'state.json');
  const state = loadState(stateFile);
  const save = (): void => writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  const outcome: BatchOutcome = { submitted: 0, collected: [], failures: new Map(), usage: { promptTokens: 0, completionTokens: 0 }, answered: 0 };

  // Requests already out in a batch an earlier run submitted are not sent again.
  const outstanding = new Set<string>();
  for (const b of state.batches) for (const key of await inputKeys(join(deps.dir, b.file))) outstanding.add(key);

  const fresh = await writeInputs(requests, cache, outstanding, deps);
  if (fresh.length > 0) {
    state.batches.push(...fresh);
    save();
  }
  for (const b of state.batches) {
    if (!b.inputFileId) {
      const uploaded = expectApiObject(await call(deps, () => deps.sdk.files.create({ file: toStreamingFile(createReadStream(join(deps.dir, b.file)), b.file), purpose: 'batch' })), 'file', 'POST /files', deps.sdk.baseURL);
      b.inputFileId = uploaded.id;
      save();
    }
    if (!b.batchId) {
      const adopted = await findBatch(deps, b.inputFileId);
      const batch =
        adopted ??
        expectApiObject(
          await call(deps, () =>
            deps.sdk.batches.create({ input_file_id: b.inputFileId!, endpoint: ENDPOINT, completion_window: '24h', metadata: { source: 'restyle corpus build', input_sha256: b.inputHash.slice(0, 16) } }),
          ),
          'batch',
          'POST /batches',
          deps.sdk.baseURL,
        );
      b.batchId = batch.id;
      save();
      if (!adopted) outcome.submitted += b.count;
      deps.log(`batch: ${adopted ? 'found' : 'submitted'} ${batch.id} with ${b.count.toLocaleString('en-US')} request(s)`);
    } else deps.log(`batch: resuming ${b.batchId} (${b.count.toLocaleString('en-US')} request(s))`);
  }

  const counts = new Map<string, { completed: number; failed: number; total: number }>();
  const report = (): void => {
    let completed = 0;
    let failed = 0;
    let total = 0;
    for (const c of counts.values()) {
      completed += c.completed;
      failed += c.failed;
      total += c.total;
    }
    deps.onPoll?.({ completed, failed, total });
  };
  let lastLogged = '';
  while (state.batches.length > 0) {
    for (const b of [...state.batches]) {
      const batch = expectApiObject(await call(deps, () => deps.sdk.batches.retrieve(b.batchId!)), 'batch', `GET /batches/${b.batchId}`, deps.sdk.baseURL);
      const rc = batch.request_counts ?? { completed: 0, failed: 0, total: b.count };
      counts.set(b.batchId!, { completed: rc.completed, failed: rc.failed, total: rc.total || b.count });
      if (!TERMINAL.has(batch.status)) continue;
      const forget = (): void => {
        state.batches.splice(state.batches.indexOf(b), 1);
        save();
        rmSync(join(deps.dir, b.file), { force: true });
      };
      if (batch.status === 'failed') {
        // Nothing in it ran (and nothing was charged): forget it so the next run submits afresh.
        forget();
        const why = batch.errors?.data?.map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message ?? e.code ?? 'error'}`).join('; ') || 'no reason given';
        throw new RestyleError('llm_error', `batch ${batch.id} failed: ${why}; re-run to submit again, or drop --batch`, { details: { batchId: batch.id } });
      }
      await collect(b, batch, cache, deps, outcome);
      outcome.collected.push(b.batchId!);
      forget();
    }
    report();
    if (state.batches.length === 0) break;
    const line = state.batches.map((b) => `${b.batchId} ${counts.get(b.batchId!)?.completed ?? 0}/${counts.get(b.batchId!)?.total ?? b.count}`).join(', ');
    if (line !== lastLogged) deps.log(`batch: waiting (${line})`);
    lastLogged = line;
    await sleep(deps.pollMs);
  }
  return outcome;
}

function loadState(file: string): BatchState {
  if (!existsSync(file)) return { batches: [] };
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as BatchState;
    return Array.isArray(s.batches) ? s : { batches: [] };
  } catch {
    throw new RestyleError('file_invalid', `${file}: not valid JSON; delete it to forget the batches it tracked`, { details: { file } });
  }
}

async function inputKeys(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const keys: string[] = [];
  for await (const line of readLines(file)) {
    const m = isLongLine(line) ? null : /^\{"custom_id":"([^"]+)"/.exec(line);
    if (m) keys.push(m[1]!);
  }
  return keys;
}

/** Write the requests not cached and not already out as input files of at most maxRequests lines / maxBytes. */
async function writeInputs(requests: AsyncIterable<BatchRequest>, cache: EditorCache, outstanding: Set<string>, deps: BatchDeps): Promise<BatchRecord[]> {
  const maxRequests = deps.maxRequests ?? 50_000;
  const maxBytes = deps.maxBytes ?? 190 * 1024 * 1024;
  const records: BatchRecord[] = [];
  const seen = new Set<string>();
  let current: { out: AtomicJsonl; file: string; bytes: number } | undefined;
  const close = (): void => {
    if (!current) return;
    current.out.commit();
    records.push({ file: current.file, inputHash: current.out.sha256, count: current.out.count });
    current = undefined;
  };
  try {
    for await (const r of requests) {
      if (cache.has(r.key) || outstanding.has(r.key) || seen.has(r.key)) continue;
      seen.add(r.key);
      const line = JSON.stringify({ custom_id: r.key, method: 'POST', url: ENDPOINT, body: r.body });
      const bytes = Buffer.byteLength(line) + 1;
      if (current && (current.out.count >= maxRequests || current.bytes + bytes > maxBytes)) close();
      if (!current) {
        const file = `input-${Date.now().toString(36)}-${records.length}.jsonl`;
        current = { out: new AtomicJsonl(join(deps.dir, file)), file, bytes: 0 };
      }
      current.out.writeLine(line);
      current.bytes += bytes;
    }
    close();
  } catch (error) {
    current?.out.abort();
    throw error;
  }
  return records;
}

/** A batch an earlier, interrupted run created for this input file before it could save the batch id. */
async function findBatch(deps: BatchDeps, inputFileId: string): Promise<{ id: string } | undefined> {
  let seen = 0;
  for await (const b of await call(deps, () => deps.sdk.batches.list({ limit: 100 }))) {
    if (b.input_file_id === inputFileId && b.status !== 'failed' && b.status !== 'cancelled') return b;
    if (++seen >= 500) break;
  }
  return undefined;
}

type Batch = Awaited<ReturnType<OpenAI['batches']['retrieve']>>;

interface OutputLine {
  custom_id?: string;
  response?: {
    status_code?: number;
    body?: {
      choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
      usage?: { prompt_tokens?: number; completion_tokens?: number };
      error?: { message?: string };
    };
  } | null;
  error?: { code?: string; message?: string } | null;
}

/** Stream a finished batch's output and error files into the cache; record every line that has no answer. */
async function collect(b: BatchRecord, batch: Batch, cache: EditorCache, deps: BatchDeps, outcome: BatchOutcome): Promise<void> {
  const expected = new Set(await inputKeys(join(deps.dir, b.file)));
  let unread = 0;
  for (const fileId of [batch.output_file_id, batch.error_file_id]) {
    if (!fileId) continue;
    const res = await call(deps, () => deps.sdk.files.content(fileId));
    if (!res.body) continue;
    // The endpoint's file, not ours: a line over the limit is skipped unread (its request is sent again).
    for await (const text of splitLines(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), deps.maxLineChars)) {
      if (isLongLine(text)) {
        unread += 1;
        continue;
      }
      if (!text.trim()) continue;
      let row: OutputLine;
      try {
        row = JSON.parse(text) as OutputLine;
      } catch {
        continue;
      }
      const key = row.custom_id;
      if (!key) continue;
      expected.delete(key);
      const body = row.response?.body;
      const choice = body?.choices?.[0];
      if (row.response?.status_code === 200 && typeof choice?.message?.content === 'string') {
        const answer: EditorAnswer = {
          text: choice.message.content,
          promptTokens: body?.usage?.prompt_tokens ?? 0,
          completionTokens: body?.usage?.completion_tokens ?? 0,
          finishReason: choice.finish_reason ?? null,
        };
        cache.put(key, answer);
        outcome.answered += 1;
        outcome.usage.promptTokens += answer.promptTokens;
        outcome.usage.completionTokens += answer.completionTokens;
      } else {
        const status = row.response?.status_code;
        outcome.failures.set(key, `batch line failed${status ? ` (HTTP ${status})` : ''}: ${row.error?.message ?? body?.error?.message ?? 'no answer'}`);
      }
    }
  }
  if (unread > 0) deps.log(`batch: ${batch.id}: ${unread} result line(s) over the ${(deps.maxLineChars ?? MAX_LINE_CHARS).toLocaleString('en-US')}-character limit for one line were not read; their requests are sent again next run`);
  const missing = unread > 0 ? `batch ${batch.id}: no readable answer (a result line over the length limit, or none)` : `batch ${batch.id} ended ${batch.status} before answering this request`;
  for (const key of expected) outcome.failures.set(key, missing);
  deps.log(`batch: ${batch.id} ${batch.status}; collected`);
}

/** One SDK call with errors mapped to RestyleError; a missing Batch/Files API gets a hint. */
async function call<T>(deps: BatchDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const e = deps.toError(error);
    if (e.details.status === 404) {
      throw new RestyleError(e.code, `${e.message} (does this endpoint have the Files and Batch APIs? run without --batch)`, { details: e.details, cause: error });
    }
    throw e;
  }
}
