import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Style } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import { countMessageTokens, countTokens } from '../llm/tokens.js';
import type { ChatRequest, ChatResult } from '../llm/types.js';
import { buildExample, buildMessages, promptHash, promptParams, type PromptSource } from '../restyle/messages.js';
import type { Protected } from '../restyle/placeholders.js';
import { runBatches, type BatchDeps, type BatchRequest } from './batch.js';
import { EditorCache, type EditorAnswer } from './cache.js';
import { checkNeutral, hasWords } from './check.js';
import { chunk, type ChunkOptions } from './chunk.js';
import { Deduper } from './dedupe.js';
import { encodeBlock, encodedPair } from './encoded-pair.js';
import { chatBody, destyleRequest, parseParams, paramsRequest, requestKey, type Editor } from './editor.js';
import { ingest, resolveInputs, shownPath, type IngestLimits } from './ingest.js';
import { lockDir } from './lock.js';
import { NoiseFilter, type NoiseRules } from './noise.js';
import { forEachLimit } from './pool.js';
import type { ProgressSink } from './progress.js';
import { reasonKind, type BlockRef, type BuildReport, type DirectionStats } from './report.js';
import type { SourceDoc } from './source.js';
import { chooseValid, chooseValidBlocks } from './choose-valid.js';
import { Spool, type PlannedBlock } from './spool.js';
import { defaultEpochs, MAX_EXAMPLE_TOKENS, TokenTally, usd } from './stats.js';
import { AtomicJsonl, writeFileAtomic } from './write.js';
import { sha256Of } from '../util/hash.js';

export { MAX_EXAMPLE_TOKENS } from './stats.js';

/** The files a build writes in its output folder (besides report.json). */
export const OUTPUT_FILES = {
  train: 'train.jsonl',
  valid: 'valid.jsonl',
  destyleTrain: 'destyle.train.jsonl',
  destyleValid: 'destyle.valid.jsonl',
  pairs: 'pairs.jsonl',
} as const;

export interface BuildOptions {
  /** `--in` paths, relative to `cwd` or absolute. */
  inputs: readonly string[];
  /** Approved samples from the bot's store (`--from-store`). */
  fromStore?: () => Promise<SourceDoc[]>;
  cwd: string;
  outDir: string;
  style: Style;
  editor: Editor;
  validFraction: number;
  seed: number;
  /** Editor requests in flight (the endpoint's limiter also holds RPM/TPM). */
  concurrency: number;
  /** Style parameters to extract before de-styling (`--params tone,mood`). */
  params?: readonly string[];
  /** Keep one person's messages from chat exports and samples. */
  author?: string;
  /** Block limits; the CLI passes the filter's own (`restyle.maxBlockParagraphs` / `maxBlockChars`). */
  chunk?: ChunkOptions;
  trainingPricePerMTok: number;
  editorPrice?: { inputPerMTok: number; outputPerMTok: number };
  /** One editor request (live mode), through the endpoint's limiter and retries. */
  chat: (req: ChatRequest) => Promise<ChatResult>;
  /** Batch mode (`--batch`): the Batch API client; every missing answer goes through it first. */
  batch?: Pick<BatchDeps, 'sdk' | 'toError' | 'pollMs' | 'sleep' | 'maxRequests' | 'maxBytes'>;
  /** Lines for the user (warnings, batch status), without a trailing newline. */
  log: (line: string) => void;
  /** A progress display per phase ("batch", "de-styling", "checking"). */
  progress?: (label: string) => ProgressSink;
  /** What counts as noise in the inputs (`--min-words`, `--max-code-share`, `--link-words`, `--max-repeats`); not applied to approved samples. */
  noise?: NoiseRules;
  /** Input caps: zip limits, size of a file read whole (config `corpus.zip`, `corpus.maxFileMB`). */
  limits?: IngestLimits;
  /** Stop asking after this many blocks in a row failed at the provider (default 50); the rest are reported as not attempted. */
  maxConsecutiveFailures?: number;
  /** Told when a phase starts (the CLI tunes the heap to each). */
  onPhase?: (phase: 'de-style' | 'write') => void;
}

/** Errors that would hit every block alike: stop at once instead of failing 30k blocks one by one. */
const FATAL = new Set(['llm_auth', 'llm_forbidden', 'quota_exceeded', 'model_not_found', 'env_missing']);

const OK = 1;
const REJECTED = 2;
const FAILED = 3;

interface Plan {
  spool: Spool;
  docs: string[];
  /** Each document's split key (`SourceDoc.key`), by the same index. */
  docKeys: string[];
  duplicates: { exact: number; near: number };
  withoutProse: number;
  noise: NoiseFilter;
  skippedFiles: string[];
  fromStore: boolean;
}

/**
 * The corpus builder (DESIGN §2): styled text in, fine-tuning data for both directions out.
 *
 * 1. plan — read every input, chunk, drop duplicates, spool the blocks to disk. Bad input fails here,
 *    before a single request is paid for, and leaves nothing behind.
 * 2. de-style — for each block, the editor's answer from the cache or from the model (live, or all at once
 *    through the Batch API), checked for lost facts; every answer is appended to the cache as it arrives.
 * 3. write — split by source document (seeded), build every example with the same message builder live
 *    requests use, stream the JSONL files to temporary names and rename them into place.
 *
 * Memory stays flat as the corpus grows: blocks live in the spool, answers in the cache file; only a few
 * bytes per block (status, document) are held.
 */
export async function buildCorpus(o: BuildOptions): Promise<BuildReport> {
  const names = [...new Set(o.params ?? [])];
  checkPrompts(o.style, names);
  const inputs = resolveInputs(o.inputs, o.cwd);
  const outAbs = resolve(o.cwd, o.outDir);
  const outShown = shownPath(outAbs, o.cwd);
  if (existsSync(outAbs) && !statSync(outAbs).isDirectory()) throw new RestyleError('usage', `--out ${o.outDir}: exists and is not a directory`);
  const cacheDir = join(outAbs, '.cache');
  const createdOut = !existsSync(outAbs);
  const createdCache = !existsSync(cacheDir);
  mkdirSync(cacheDir, { recursive: true });
  let release: (() => void) | undefined;
  let plan: Plan;
  try {
    release = lockDir(join(cacheDir, 'lock'), outShown);
    removeLeftovers(outAbs, cacheDir);
    plan = await planBlocks(o, inputs, outAbs, cacheDir, names);
  } catch (error) {
    // Nothing was bought yet: leave the disk as it was.
    release?.();
    if (createdCache) rmSync(cacheDir, { recursive: true, force: true });
    if (createdOut) rmdirSafe(outAbs);
    throw error;
  }
  try {
    const cache = await EditorCache.open(join(cacheDir, 'editor.jsonl'));
    try {
      o.onPhase?.('de-style');
      const work = await deStyle(o, plan, cache, names, cacheDir);
      o.onPhase?.('write');
      return await writeOutputs(o, plan, cache, names, work, outAbs);
    } finally {
      cache.close();
    }
  } finally {
    plan.spool.remove();
    release();
  }
}

/** A style prompt that can't be rendered with the parameters this build will have fails before anything is read. */
function checkPrompts(style: Style, names: readonly string[]): void {
  const placeholders = new Set(promptParams(style.prompt));
  const unused = names.filter((n) => !placeholders.has(n));
  if (unused.length > 0) {
    throw new RestyleError('usage', `--params ${unused.join(',')}: the prompt of style "${style.name}" has no {{${unused[0]}}}; add it to styles.${style.name}.prompt so the parameters reach the model`);
  }
  buildMessages(style, '', Object.fromEntries(names.map((n) => [n, 'x'])));
  buildMessages(destylerSource(style), '');
}

/** The de-styler's prompt source, exactly as the filter builds it for conversion. */
function destylerSource(style: Style): PromptSource {
  return { name: `${style.name} (destyler)`, prompt: style.destylerPrompt, params: {} };
}

const TEMP_SUFFIX = /\.tmp-\d+$/;
const SPOOL = /^blocks\.\d+\.jsonl(?:\.tmp-\d+)?$/;
const OUTPUT_NAMES = new Set<string>([...Object.values(OUTPUT_FILES), 'report.json']);

/**
 * What a killed run left half-done: its block spool and the temporary files it had not renamed into place
 * yet. Called with the build lock held, so none of them belongs to a live run. Nothing paid for is here
 * (answers live in editor.jsonl, batch state in batch/state.json and its input files).
 */
function removeLeftovers(outAbs: string, cacheDir: string): void {
  const sweep = (dir: string, stale: (name: string) => boolean): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) if (stale(name)) rmSync(join(dir, name), { force: true });
  };
  sweep(outAbs, (n) => TEMP_SUFFIX.test(n) && OUTPUT_NAMES.has(n.replace(TEMP_SUFFIX, '')));
  sweep(cacheDir, (n) => SPOOL.test(n));
  sweep(join(cacheDir, 'batch'), (n) => TEMP_SUFFIX.test(n));
}

function rmdirSafe(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (someone else's files): leave it
  }
}

async function planBlocks(o: BuildOptions, inputs: ReturnType<typeof resolveInputs>, outAbs: string, cacheDir: string, names: readonly string[]): Promise<Plan> {
  const spool = new Spool(join(cacheDir, `blocks.${process.pid}.jsonl`));
  const docs: string[] = [];
  const docKeys: string[] = [];
  const docIndex = new Map<string, number>();
  const nextBlock: number[] = [];
  const dedupe = new Deduper();
  const skippedFiles: string[] = [];
  let withoutProse = 0;
  const noise = new NoiseFilter(o.noise);
  const piecesOf = (doc: SourceDoc): string[] => (doc.whole ? [doc.text.trim()] : chunk(doc.text, o.chunk));
  const add = (doc: SourceDoc, rules: boolean): void => {
    let d = docIndex.get(doc.id);
    if (d === undefined) {
      d = docs.length;
      docs.push(doc.id);
      docKeys.push(doc.key ?? doc.id);
      docIndex.set(doc.id, d);
      nextBlock.push(0);
    }
    for (const styled of piecesOf(doc)) {
      // Block numbers run on across the messages of one chat document, and count dropped blocks too.
      const index = nextBlock[d]!++;
      if (!hasWords(styled)) {
        withoutProse += 1;
        continue;
      }
      if (rules && noise.reasonFor(styled)) continue;
      if (!dedupe.keep(styled)) continue;
      const params = doc.params && names.every((n) => typeof doc.params![n] === 'string') ? Object.fromEntries(names.map((n) => [n, doc.params![n]!])) : undefined;
      spool.add({ doc: d, index, ...(doc.ref ? { ref: doc.ref } : {}), ...(doc.author ? { author: doc.author } : {}), ...(doc.authorName ? { authorName: doc.authorName } : {}), ...(doc.at ? { at: doc.at } : {}), styled, ...(doc.neutral !== undefined ? { neutral: doc.neutral } : {}), ...(params && names.length ? { params } : {}) });
    }
  };
  try {
    const warn = (m: string): void => {
      skippedFiles.push(m);
      o.log(`warning: ${m}`);
    };
    const read = { author: o.author, exclude: [outAbs], ...o.limits };
    // Repeats are spam only when known before the first copy is kept: a first pass counts them (and warns).
    if (noise.countsRepeats) for await (const doc of ingest(inputs, o.cwd, { ...read, warn })) for (const p of piecesOf(doc)) if (hasWords(p)) noise.see(p);
    for await (const doc of ingest(inputs, o.cwd, { ...read, warn: noise.countsRepeats ? () => {} : warn })) add(doc, true);
    if (o.fromStore) for (const doc of await o.fromStore()) add(doc, false);
    if (spool.count === 0) {
      const from = [...o.inputs, ...(o.fromStore ? ['the store'] : [])].join(', ');
      const left = Object.entries(noise.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
      if (withoutProse > 0) left.push(`${withoutProse} without words`);
      const why = left.length > 0 ? ` (left out: ${left.join(', ')}; the rules are --min-words, --max-code-share, --link-words, --max-repeats)` : '';
      // Nothing read at all under --author: most likely a mistyped id or name, not a noisy export.
      if (docs.length === 0 && o.author) throw new RestyleError('input_invalid', `no message by --author "${o.author}" in ${from || 'the inputs'}: give a user id (U0123ABC, 112233445566778899) or the name the export shows`);
      throw new RestyleError('input_invalid', `no text blocks found in ${from || 'the inputs'}${why}`);
    }
    spool.seal();
  } catch (error) {
    spool.abort();
    throw error;
  }
  return { spool, docs, docKeys, duplicates: { exact: dedupe.exact, near: dedupe.near }, withoutProse, noise, skippedFiles, fromStore: Boolean(o.fromStore) };
}

interface Work {
  status: Uint8Array;
  okPerDoc: Uint32Array;
  blockIndex: Uint32Array;
  /** Per block: the cache slot of its de-styling answer (−1: none), so the write pass need not hash the request again. */
  editorSlot: Int32Array;
  rejected: Array<BlockRef & { reason: string }>;
  failed: Array<BlockRef & { error: string }>;
  requests: number;
  reused: number;
  approvedPairs: number;
  retries: number;
  usage: { promptTokens: number; completionTokens: number };
  reusedUsage: { promptTokens: number; completionTokens: number };
  stoppedEarly?: string;
  unreadableCacheLines: number;
}

/** The requests a block needs: its style parameters (unless given), its neutral side (unless given). */
function requestsFor(o: BuildOptions, b: PlannedBlock, names: readonly string[], encoded?: Protected): { params?: ChatRequest; destyle?: ChatRequest } {
  const params = paramsRequestFor(o, b, names);
  return {
    ...(params ? { params } : {}),
    // The editor sees the block encoded, so its answer carries the placeholders the training lines hold.
    ...(b.neutral === undefined ? { destyle: destyleFor(o, encoded ?? encodeBlock(b.styled)) } : {}),
  };
}

/** The editor request that reads a block's style parameters, unless the style has none or the block gives them. */
function paramsRequestFor(o: BuildOptions, b: PlannedBlock, names: readonly string[]): ChatRequest | undefined {
  return names.length > 0 && !b.params ? paramsRequest(o.editor, names, b.styled) : undefined;
}

/** The editor request that de-styles one block, encoded. */
function destyleFor(o: BuildOptions, p: Protected): ChatRequest {
  return destyleRequest(o.editor, p.text, { count: p.spans.length, open: p.open, close: p.close });
}

/** Phase 2 of a build: every block's editor answers (batch first when asked), checked. */
async function deStyle(o: BuildOptions, plan: Plan, cache: EditorCache, names: readonly string[], cacheDir: string): Promise<Work> {
  const w = newWork(plan, cache);
  const batchFailures = o.batch ? await batchPhase(o, o.batch, plan, cache, names, cacheDir, w) : new Map<string, string>();
  await checkPhase(o, plan, names, w, cache, asker(o, cache, w, batchFailures));
  // Lists in document order, whatever order the answers came in.
  const order = (a: BlockRef, b: BlockRef): number => (a.doc === b.doc ? a.block - b.block : a.doc < b.doc ? -1 : 1);
  w.rejected.sort(order);
  w.failed.sort(order);
  return w;
}

function newWork(plan: Plan, cache: EditorCache): Work {
  const total = plan.spool.count;
  return {
    status: new Uint8Array(total),
    okPerDoc: new Uint32Array(plan.docs.length),
    blockIndex: new Uint32Array(total),
    editorSlot: new Int32Array(total).fill(-1),
    rejected: [],
    failed: [],
    requests: 0,
    reused: 0,
    approvedPairs: 0,
    retries: 0,
    usage: { promptTokens: 0, completionTokens: 0 },
    reusedUsage: { promptTokens: 0, completionTokens: 0 },
    unreadableCacheLines: cache.unreadable,
  };
}

/** What this run's editor answers cost so far, when the editor's price is known. */
function spendUsd(o: BuildOptions, w: Work): number | undefined {
  if (!o.editorPrice) return undefined;
  return ((w.usage.promptTokens / 1e6) * o.editorPrice.inputPerMTok + (w.usage.completionTokens / 1e6) * o.editorPrice.outputPerMTok) * (o.batch ? 0.5 : 1);
}

/** Batch mode: every missing answer through the Batch API at once; returns why requests failed there. */
async function batchPhase(o: BuildOptions, b: NonNullable<BuildOptions['batch']>, plan: Plan, cache: EditorCache, names: readonly string[], cacheDir: string, w: Work): Promise<Map<string, string>> {
  async function* wanted(): AsyncGenerator<BatchRequest> {
    for await (const block of plan.spool.read()) {
      for (const req of Object.values(requestsFor(o, block, names))) yield { key: requestKey(req), body: chatBody(req) };
    }
  }
  const bar = o.progress?.('batch');
  try {
    const outcome = await runBatches(wanted(), cache, {
      ...b,
      dir: join(cacheDir, 'batch'),
      log: o.log,
      onPoll: (c) => bar?.update({ done: c.completed + c.failed, total: c.total, requests: c.completed, reused: 0, failed: c.failed, tokens: 0 }),
    });
    w.requests += outcome.answered;
    w.usage.promptTokens += outcome.usage.promptTokens;
    w.usage.completionTokens += outcome.usage.completionTokens;
    return outcome.failures;
  } finally {
    bar?.stop();
  }
}

/** One editor answer for `req` (whose cache key is `key`, when known). */
type Ask = (req: ChatRequest, key?: string) => Promise<EditorAnswer>;

/** One editor answer: from the cache, else (live mode) paid for and appended to the cache at once. */
function asker(o: BuildOptions, cache: EditorCache, w: Work, batchFailures: Map<string, string>): Ask {
  const maxInARow = o.maxConsecutiveFailures ?? 50;
  let inARow = 0;
  return async (req, key = requestKey(req)) => {
    const hit = cache.get(key);
    if (hit) {
      // An answer this run's batch just brought in was paid for (and counted) in this run: it is not reused.
      if (cache.fromEarlierRun(key)) {
        w.reused += 1;
        w.reusedUsage.promptTokens += hit.promptTokens;
        w.reusedUsage.completionTokens += hit.completionTokens;
      }
      return hit;
    }
    if (o.batch) throw new RestyleError('llm_error', batchFailures.get(key) ?? 'no answer from the batch', { retryable: true });
    if (w.stoppedEarly) throw new RestyleError('llm_unavailable', `not attempted: ${w.stoppedEarly}`);
    let r: ChatResult;
    try {
      r = await o.chat(req);
    } catch (error) {
      const e = toRestyleError(error);
      if (!FATAL.has(e.code) && ++inARow >= maxInARow && !w.stoppedEarly) {
        w.stoppedEarly = `stopped asking after ${inARow} blocks in a row failed at the provider (last: ${e.code}: ${e.message})`;
        o.log(`warning: ${w.stoppedEarly}`);
      }
      throw e;
    }
    inARow = 0;
    w.retries += r.attempts - 1;
    const answer: EditorAnswer = { text: r.text, promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens, finishReason: r.finishReason };
    cache.put(key, answer);
    w.requests += 1;
    w.usage.promptTokens += answer.promptTokens;
    w.usage.completionTokens += answer.completionTokens;
    return answer;
  };
}

/** Each block: its answers (cached or asked), checked; a provider error marks it failed, not the run. */
async function checkPhase(o: BuildOptions, plan: Plan, names: readonly string[], w: Work, cache: EditorCache, ask: Ask): Promise<void> {
  const total = plan.spool.count;
  let done = 0;
  const where = (b: PlannedBlock): BlockRef => ({ doc: plan.docs[b.doc]!, block: b.index, ...(b.ref ? { ref: b.ref } : {}) });
  const bar = o.progress?.(o.batch ? 'checking' : 'de-styling');
  const progress = (): void =>
    bar?.update({ done, total, requests: w.requests, reused: w.reused, failed: w.failed.length, tokens: w.usage.promptTokens + w.usage.completionTokens, spendUsd: spendUsd(o, w) });
  const evaluate = async (b: PlannedBlock): Promise<void> => {
    w.blockIndex[b.seq] = b.index;
    // Encoded once for its request, its checks and its pair.
    const encoded = encodeBlock(b.styled);
    const reqs = requestsFor(o, b, names, encoded);
    const editorKey = reqs.destyle ? requestKey(reqs.destyle) : undefined;
    const [p, d] = await Promise.allSettled([reqs.params ? ask(reqs.params) : undefined, reqs.destyle ? ask(reqs.destyle, editorKey) : undefined]);
    try {
      if (p.status === 'rejected') throw p.reason;
      if (d.status === 'rejected') throw d.reason;
      const reason = judge(b, names, encoded, p.value, d.value);
      if (reason) {
        w.status[b.seq] = REJECTED;
        w.rejected.push({ ...where(b), reason });
      } else {
        w.status[b.seq] = OK;
        w.okPerDoc[b.doc]! += 1;
        if (editorKey) w.editorSlot[b.seq] = cache.slotOf(editorKey);
        else w.approvedPairs += 1;
      }
    } catch (error) {
      const e = toRestyleError(error);
      if (FATAL.has(e.code)) throw e;
      w.status[b.seq] = FAILED;
      w.failed.push({ ...where(b), error: `${e.code}: ${e.message}` });
    } finally {
      done += 1;
      progress();
    }
  };
  progress();
  try {
    await forEachLimit(plan.spool.read(), o.batch ? 1 : o.concurrency, evaluate);
  } finally {
    bar?.stop();
  }
}

/** Why a block's answers make no usable pair (lost facts or placeholders, bad parameters), or null. */
function judge(b: PlannedBlock, names: readonly string[], p: Protected, params: EditorAnswer | undefined, destyled: EditorAnswer | undefined): string | null {
  if (params && !parseParams(params.text, names)) return `style parameters not returned as JSON with ${names.join(', ')}`;
  if (destyled) {
    const reason = checkNeutral(p.text, destyled.text, destyled.finishReason, { spans: p });
    if (reason) return reason;
  }
  const pair = pairOf(b, destyled, p);
  return 'reason' in pair ? pair.reason : null;
}

/** A block's pair in the live encoding: with the editor's answer, or the neutral side a person approved. */
function pairOf(b: PlannedBlock, destyled: EditorAnswer | undefined, p: Protected): ReturnType<typeof encodedPair> {
  return encodedPair(b.styled, destyled ? { encoded: destyled.text } : { raw: b.neutral! }, p);
}

/** Phase 3: split, write the files, report. */
async function writeOutputs(o: BuildOptions, plan: Plan, cache: EditorCache, names: readonly string[], w: Work, outAbs: string): Promise<BuildReport> {
  const warnings = [...plan.skippedFiles];
  const chosen = chooseSplit(o, plan, w, warnings);
  const written = await writeExamples(o, plan, cache, names, w, outAbs, chosen.isValid);
  commitOrRefuse(plan, w, written, outAbs, o.validFraction > 0);
  const report = reportOf(o, plan, w, names, written, chosen.split, warnings);
  writeFileAtomic(join(outAbs, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** Which blocks go to validation: whole source documents; single blocks only when there is one document (and say so). */
function chooseSplit(o: BuildOptions, plan: Plan, w: Work, warnings: string[]): { split: 'document' | 'block'; isValid: (b: PlannedBlock) => boolean } {
  // Split by source document; blocks only when there is a single document (and say so).
  // Units are what a document is (its key), not the path it was read from: any path to the same input splits alike.
  const sizes = new Map<string, number>();
  plan.docKeys.forEach((key, i) => w.okPerDoc[i]! > 0 && sizes.set(key, (sizes.get(key) ?? 0) + w.okPerDoc[i]!));
  const units = [...sizes].map(([id, size]) => ({ id, size }));
  const split: 'document' | 'block' = units.length >= 2 || o.validFraction <= 0 ? 'document' : 'block';
  const validDocs = split === 'document' ? chooseValid(units, o.validFraction, o.seed) : new Set<string>();
  let validBlocks = new Set<number>();
  if (split === 'block') {
    const ids: string[] = [];
    const seqOf = new Map<string, number>();
    for (let seq = 0; seq < w.status.length; seq++) {
      if (w.status[seq] !== OK) continue;
      const id = `#${w.blockIndex[seq]}`;
      ids.push(id);
      seqOf.set(id, seq);
    }
    validBlocks = new Set([...chooseValidBlocks(ids, o.validFraction, o.seed)].map((id) => seqOf.get(id)!));
    if (ids.length > 1) warnings.push('only one source document: train and valid were split by block, so they share a document (validation loss will read optimistic)');
  }
  const withValid = o.validFraction > 0;
  return { split, isValid: (b) => withValid && (split === 'document' ? validDocs.has(plan.docKeys[b.doc]!) : validBlocks.has(b.seq)) };
}

type OutputFiles = Partial<Record<keyof typeof OUTPUT_FILES, AtomicJsonl>> & { train: AtomicJsonl; destyleTrain: AtomicJsonl; pairs: AtomicJsonl };

interface Written {
  files: OutputFiles;
  perExample: TokenTally;
  tokens: { styler: { train: number; valid: number }; destyler: { train: number; valid: number } };
  overLimit: number;
  unchanged: number;
  trainDocs: Set<number>;
  heldDocs: Set<number>;
}

/** The output files, written to temporary names until the build commits them. */
function openOutputFiles(outAbs: string, withValid: boolean): OutputFiles {
  const path = (f: string): string => join(outAbs, f);
  return {
    train: new AtomicJsonl(path(OUTPUT_FILES.train)),
    ...(withValid ? { valid: new AtomicJsonl(path(OUTPUT_FILES.valid)) } : {}),
    destyleTrain: new AtomicJsonl(path(OUTPUT_FILES.destyleTrain)),
    ...(withValid ? { destyleValid: new AtomicJsonl(path(OUTPUT_FILES.destyleValid)) } : {}),
    pairs: new AtomicJsonl(path(OUTPUT_FILES.pairs)),
  };
}

/** Token counts of system prompts, each counted once (most blocks share one prompt). */
function promptTokenCounter(): (prompt: string) => number {
  const counts = new Map<string, number>();
  return (prompt) => {
    let n = counts.get(prompt);
    if (n === undefined) {
      // Prompts rendered with per-block parameters may all differ: remember a bounded number.
      if (counts.size >= 1024) counts.clear();
      counts.set(prompt, (n = countTokens(prompt)));
    }
    return n;
  };
}

/** Every OK block as a styler and a de-styler example (same message builder as live requests), streamed to temporary files. */
async function writeExamples(o: BuildOptions, plan: Plan, cache: EditorCache, names: readonly string[], w: Work, outAbs: string, isValid: (b: PlannedBlock) => boolean): Promise<Written> {
  const files = openOutputFiles(outAbs, o.validFraction > 0);
  const destyler = destylerSource(o.style);
  const promptTokens = promptTokenCounter();
  const perExample = new TokenTally();
  const tokens = { styler: { train: 0, valid: 0 }, destyler: { train: 0, valid: 0 } };
  let overLimit = 0;
  let unchanged = 0;
  const trainDocs = new Set<number>();
  const heldDocs = new Set<number>();
  try {
    for await (const b of plan.spool.read()) {
      if (w.status[b.seq] !== OK) continue;
      const encoded = encodeBlock(b.styled);
      // The de-styling answer by the slot the check pass noted (an approved pair has none).
      const slot = w.editorSlot[b.seq]!;
      const editorKey = slot >= 0 ? cache.keyAt(slot) : undefined;
      const pair = pairOf(b, slot >= 0 ? answerAt(cache, slot) : undefined, encoded);
      if ('reason' in pair) throw new RestyleError('internal', `block ${b.seq} passed its checks but has no pair: ${pair.reason}`);
      const neutral = pair.neutral;
      const paramsReq = paramsRequestFor(o, b, names);
      const params = paramsReq ? parseParams(answerOf(cache, requestKey(paramsReq)).text, names)! : (b.params ?? {});
      // Both sides encoded, numbered as the filter numbers a live request (parity, issue 14).
      const styler = buildExample(o.style, pair.styler.input, pair.styler.output, params);
      const reverse = buildExample(destyler, pair.destyler.input, pair.destyler.output);
      const st = countMessageTokens(styler.messages, promptTokens);
      // Usually the reverse example holds the same two texts and only its system prompt differs (counted once
      // per prompt); when the codec numbered its placeholders differently, it is counted in full.
      const [ss, su, sa] = styler.messages;
      const [rs, ru, ra] = reverse.messages;
      const mirrored = reverse.messages.length === 3 && ru!.content === sa!.content && ra!.content === su!.content;
      const dt = mirrored ? st - promptTokens(ss!.content) + promptTokens(rs!.content) : countMessageTokens(reverse.messages, promptTokens);
      if (st > MAX_EXAMPLE_TOKENS || dt > MAX_EXAMPLE_TOKENS) {
        overLimit += 1;
        w.rejected.push({ doc: plan.docs[b.doc]!, block: b.index, ...(b.ref ? { ref: b.ref } : {}), reason: `example of ${Math.max(st, dt)} tokens, over the ${MAX_EXAMPLE_TOKENS}-token limit` });
        continue;
      }
      const valid = isValid(b);
      (valid ? heldDocs : trainDocs).add(b.doc);
      if (neutral === b.styled.trim()) unchanged += 1;
      perExample.add(st);
      perExample.add(dt);
      const side = valid ? 'valid' : 'train';
      tokens.styler[side] += st;
      tokens.destyler[side] += dt;
      (valid ? files.valid! : files.train).write(styler);
      (valid ? files.destyleValid! : files.destyleTrain).write(reverse);
      files.pairs.write({
        doc: plan.docs[b.doc],
        ...(b.ref ? { ref: b.ref } : {}),
        block: b.index,
        ...(b.author ? { author: b.author } : {}),
        ...(b.authorName ? { authorName: b.authorName } : {}),
        ...(b.at ? { at: b.at } : {}),
        split: side,
        source: editorKey ? 'editor' : 'approved',
        styled: b.styled,
        neutral,
        // The styler line's span table: placeholder i of its user and assistant messages stands for spans[i].
        ...(pair.styler.spans.length > 0 ? { spans: pair.styler.spans } : {}),
        ...(names.length > 0 ? { params } : {}),
        sha256: sha16(b.styled),
        neutralSha256: sha16(neutral),
        ...(editorKey ? { editorKey } : {}),
      });
    }
  } catch (error) {
    for (const f of Object.values(files)) f?.abort();
    throw error;
  }
  return { files, perExample, tokens, overLimit, unchanged, trainDocs, heldDocs };
}

/** Rename the files into place, or, with fewer than 10 training examples, drop them and say why. */
function commitOrRefuse(plan: Plan, w: Work, { files }: Written, outAbs: string, withValid: boolean): void {
  const train = files.train.count;
  const valid = files.valid?.count ?? 0;
  if (train < 10) {
    for (const f of Object.values(files)) f?.abort();
    const why = [w.rejected.length ? `${w.rejected.length} rejected` : '', w.failed.length ? `${w.failed.length} failed at the provider` : ''].filter(Boolean).join(', ');
    throw new RestyleError(
      'input_invalid',
      `only ${train + valid} usable examples (${train} for training) from ${plan.spool.count} block(s)${why ? ` (${why})` : ''}; fine-tuning needs at least 10 training examples` +
        // No report is written on this path: say why the provider failed, or the user is left guessing.
        (w.failed.length > 0 ? `; the first provider error: ${w.failed[0]!.error}` : ''),
      { details: { train, valid, rejected: w.rejected.length, failed: w.failed.length } },
    );
  }
  for (const f of Object.values(files)) f?.commit();
  if (!withValid) for (const f of [OUTPUT_FILES.valid, OUTPUT_FILES.destyleValid]) rmSync(join(outAbs, f), { force: true });
}

/** report.json: counts, warnings, costs and the files' hashes. */
function reportOf(o: BuildOptions, plan: Plan, w: Work, names: readonly string[], x: Written, split: 'document' | 'block', warnings: string[]): BuildReport {
  const { files, unchanged, trainDocs, heldDocs, perExample, overLimit, tokens } = x;
  const train = files.train.count;
  const valid = files.valid?.count ?? 0;
  const examples = train + valid;
  warnings.push(...dataWarnings(plan, w, examples, unchanged));
  const epochs = defaultEpochs(train);
  const direction = (t: { train: number; valid: number }): DirectionStats => ({
    trainExamples: train,
    validExamples: valid,
    trainTokens: t.train,
    validTokens: t.valid,
    costPerEpochUsd: usd(t.train, o.trainingPricePerMTok),
    estimatedCostUsd: usd(t.train * epochs, o.trainingPricePerMTok),
  });
  const rejectedByReason: Record<string, number> = {};
  for (const r of w.rejected) rejectedByReason[reasonKind(r.reason)] = (rejectedByReason[reasonKind(r.reason)] ?? 0) + 1;
  const report: BuildReport = {
    style: o.style.name,
    split,
    promptHash: promptHash(o.style.prompt),
    destylerPromptHash: promptHash(o.style.destylerPrompt),
    complete: w.failed.length === 0,
    ...(w.stoppedEarly ? { stoppedEarly: w.stoppedEarly } : {}),
    seed: o.seed,
    validFraction: o.validFraction,
    inputs: { paths: [...o.inputs], fromStore: plan.fromStore, documents: plan.docs.length, skippedFiles: plan.skippedFiles },
    blocks: plan.spool.count,
    duplicates: plan.duplicates,
    withoutProse: plan.withoutProse,
    noise: { ...plan.noise.rules, ...plan.noise.counts },
    documents: { train: trainDocs.size, valid: heldDocs.size },
    examples: { train, valid },
    editor: {
      model: o.editor.model,
      promptHash: promptHash(o.editor.prompt),
      mode: o.batch ? 'batch' : 'live',
      requests: w.requests,
      reused: w.reused,
      approvedPairs: w.approvedPairs,
      retries: w.retries,
      usage: w.usage,
      reusedUsage: w.reusedUsage,
      ...(o.editorPrice
        ? { estimatedCostUsd: Math.round(((w.usage.promptTokens / 1e6) * o.editorPrice.inputPerMTok + (w.usage.completionTokens / 1e6) * o.editorPrice.outputPerMTok) * (o.batch ? 0.5 : 1) * 100) / 100 }
        : {}),
      ...(names.length > 0 ? { params: [...names] } : {}),
    },
    rejected: w.rejected,
    rejectedByReason,
    failed: w.failed,
    unchanged,
    tokensPerExample: { p50: perExample.percentile(50), p95: perExample.percentile(95), max: perExample.percentile(100), limit: MAX_EXAMPLE_TOKENS, overLimit },
    training: { pricePerMTok: o.trainingPricePerMTok, defaultEpochs: epochs, styler: direction(tokens.styler), destyler: direction(tokens.destyler) },
    files: Object.fromEntries(
      Object.entries(files).map(([k, f]) => [OUTPUT_FILES[k as keyof typeof OUTPUT_FILES], { examples: f!.count, bytes: f!.bytes, sha256: f!.sha256 }]),
    ),
    warnings,
  };
  return report;
}

/** What to look at before paying for training: small sets, duplicates, unchanged pairs, many rejections. */
function dataWarnings(plan: Plan, w: Work, examples: number, unchanged: number): string[] {
  const warnings: string[] = [];
  if (examples < 2_000) warnings.push(`${examples.toLocaleString('en-US')} examples: start evaluating a style at 2,000–3,000 samples; serious styles have ~30,000`);
  const dupes = plan.duplicates.exact + plan.duplicates.near;
  if (dupes > 0) warnings.push(`${plan.duplicates.exact} exact and ${plan.duplicates.near} near-duplicate block(s) dropped`);
  if (unchanged > 0 && unchanged >= 0.05 * examples) warnings.push(`${unchanged} pair(s) came back from the editor unchanged: is that text already neutral, or is the editor prompt too weak?`);
  const blocksTried = plan.spool.count - w.failed.length;
  if (w.rejected.length > 0 && w.rejected.length >= 0.1 * blocksTried) warnings.push(`${Math.round((w.rejected.length / blocksTried) * 100)}% of the blocks were rejected: look at the reasons before training (editor prompt or model?)`);
  if (w.unreadableCacheLines > 0) warnings.push(`${w.unreadableCacheLines} unreadable line(s) in the cache (an interrupted write); those blocks were asked again`);
  if (w.stoppedEarly) warnings.push(w.stoppedEarly);
  return warnings;
}

function answerOf(cache: EditorCache, key: string): EditorAnswer {
  return answerAt(cache, cache.slotOf(key));
}

function answerAt(cache: EditorCache, slot: number): EditorAnswer {
  const a = cache.getAt(slot);
  if (!a) throw new RestyleError('internal', 'an editor answer vanished from the cache between passes');
  return a;
}

function sha16(text: string): string {
  return sha256Of(text).slice(0, 16);
}
