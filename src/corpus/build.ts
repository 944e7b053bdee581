import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint, Style } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import type { ChatRequest, ChatResult } from '../llm/types.js';
import { countMessageTokens } from '../llm/tokens.js';
import { buildExample, promptHash, promptParams } from '../restyle/messages.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { collectGarbage } from '../util/memory.js';
import { EditorCache } from './cache.js';
import { checkNeutral } from './check.js';
import { chunk } from './chunk.js';
import { Deduper } from './dedupe.js';
import { ingest } from './ingest.js';
import { assignValid } from './split.js';
import type { BatchAnswer, BatchRequest } from './batch.js';
import { AtomicJsonl, writeFileAtomic } from './write.js';

export const MAX_EXAMPLE_TOKENS = 65_536;

export interface BuildOptions {
  inputs: string[];
  outDir: string;
  style: Style;
  editor: { model: string; prompt: string; endpoint: Endpoint };
  validFraction: number;
  seed: number;
  concurrency: number;
  pricePerMTok: number;
  cwd: string;
  chat: (endpoint: Endpoint, req: ChatRequest) => Promise<ChatResult>;
  /** Batch mode: send every uncached request through the Batch API first. */
  batch?: (requests: BatchRequest[]) => Promise<Map<string, BatchAnswer>>;
  /** Approved samples saved from chat (`--from-store`): pairs skip the editor, styled text is de-styled. */
  samples?: AsyncIterable<{ id: string; channel: string; styled: string; neutral?: string }>;
  /** Keep only this author's messages from chat exports (Slack user id, Discord user id or name). */
  author?: string;
  /** Style parameters to extract before de-styling (they fill {{name}} in the style prompt). */
  params?: string[];
  log: (line: string) => void;
  progress?: (done: number, total: number, usage: { promptTokens: number; completionTokens: number }) => void;
}

interface Block {
  doc: string;
  ref?: string;
  index: number;
  styled: string;
}

const PARAMS_PROMPT = (names: string[]): string =>
  `You analyse the style of a text excerpt. For each of these parameters give a short value (one or two words) that describes the excerpt: ${names.join(', ')}. Answer in JSON.`;

export interface BuildReport {
  style: string;
  documents: number;
  blocks: number;
  duplicates: { exact: number; near: number };
  examples: { train: number; valid: number };
  rejected: Array<{ doc: string; index: number; reason: string }>;
  failed: Array<{ doc: string; index: number; error: string }>;
  split: 'document' | 'block';
  requests: number;
  /** Editor answers reused from an earlier run instead of paid for again. */
  cachedResults: number;
  editorUsage: { promptTokens: number; completionTokens: number };
  tokensPerExample: { p50: number; p95: number; max: number; limit: number; overLimit: number };
  trainingTokensPerEpoch: number;
  estimatedCostPerEpochUsd: number;
  warnings: string[];
  promptHash: string;
}

/**
 * The corpus builder: styled text in, fine-tuning data for both directions out (DESIGN §2). Every example
 * is built by the same message builder inference uses, so the trained prompt and the live prompt match.
 */
export async function buildCorpus(o: BuildOptions): Promise<BuildReport> {
  const warnings: string[] = [];
  const params = o.params ?? [];
  const used = promptParams(o.style.prompt);
  const unused = params.filter((p) => !used.includes(p));
  if (unused.length > 0) {
    throw new RestyleError('usage', `--params ${unused.join(',')}: the prompt of style "${o.style.name}" has no {{${unused[0]}}}; add it to styles.${o.style.name}.prompt so the parameters reach the model`);
  }
  const blocks: Block[] = [];
  const dedupe = new Deduper();
  const docs: string[] = [];
  const seenDocs = new Set<string>();
  const nextIndex = new Map<string, number>();
  for await (const doc of ingest(o.inputs, o.cwd, { warn: (m) => (warnings.push(m), o.log(`warning: ${m}`)) }, o.author)) {
    if (!seenDocs.has(doc.id)) {
      seenDocs.add(doc.id);
      docs.push(doc.id);
    }
    for (const styled of chunk(doc.text)) {
      // Block numbers run on across the messages of one chat document.
      const index = nextIndex.get(doc.id) ?? 0;
      nextIndex.set(doc.id, index + 1);
      if (dedupe.keep(styled)) blocks.push({ doc: doc.id, ...(doc.ref ? { ref: doc.ref } : {}), index, styled });
    }
  }
  const given = new Map<Block, string>();
  for await (const sample of o.samples ?? []) {
    // One document per channel, so a channel's samples stay on one side of the split.
    const doc = `store:${sample.channel}`;
    if (!seenDocs.has(doc)) {
      seenDocs.add(doc);
      docs.push(doc);
    }
    const index = nextIndex.get(doc) ?? 0;
    nextIndex.set(doc, index + 1);
    const block: Block = { doc, ref: sample.id, index, styled: sample.styled.trim() };
    if (!dedupe.keep(block.styled)) continue;
    blocks.push(block);
    if (sample.neutral) given.set(block, sample.neutral.trim());
  }
  if (blocks.length === 0) throw new RestyleError('input_invalid', `no text blocks found in ${o.inputs.join(', ')}`);
  mkdirSync(o.outDir, { recursive: true });

  const cache = new EditorCache(join(o.outDir, '.cache', 'editor.jsonl'));
  let cacheHits = 0;
  const neutral = new Map<Block, string>();
  const extracted = new Map<Block, Record<string, string>>();
  const rejected: BuildReport['rejected'] = [];
  const failed: BuildReport['failed'] = [];
  let requests = 0;
  let done = 0;
  const usage = { promptTokens: 0, completionTokens: 0 };
  const paramsSchema = { type: 'object', properties: Object.fromEntries(params.map((p) => [p, { type: 'string' }])), required: params, additionalProperties: false };
  const paramsRequest = (b: Block): [string, ChatRequest] => [
    EditorCache.key(o.editor.model, `params:${params.join(',')}`, b.styled),
    {
      model: o.editor.model,
      temperature: 0,
      jsonSchema: { name: 'style_parameters', schema: paramsSchema },
      messages: [
        { role: 'system', content: PARAMS_PROMPT(params) },
        { role: 'user', content: b.styled },
      ],
    },
  ];
  const editorRequest = (b: Block): [string, ChatRequest] => [
    EditorCache.key(o.editor.model, o.editor.prompt, b.styled),
    {
      model: o.editor.model,
      temperature: 0,
      messages: [
        { role: 'system', content: o.editor.prompt },
        { role: 'user', content: b.styled },
      ],
    },
  ];
  const batchErrors = new Map<string, string>();
  if (o.batch) {
    const pending = new Map<string, ChatRequest>();
    for (const b of blocks) {
      if (params.length > 0) pending.set(...paramsRequest(b));
      if (!given.has(b)) pending.set(...editorRequest(b));
    }
    for (const key of [...pending.keys()]) if (cache.get(key)) pending.delete(key);
    const answers = await o.batch([...pending].map(([customId, req]) => ({ customId, body: chatBody(req) })));
    requests += pending.size;
    for (const [key, a] of answers) {
      if ('error' in a) batchErrors.set(key, a.error);
      else {
        usage.promptTokens += a.promptTokens;
        usage.completionTokens += a.completionTokens;
        cache.put(key, { neutral: a.text.trim(), promptTokens: a.promptTokens, completionTokens: a.completionTokens });
      }
    }
  }

  // One cached, counted editor call: a fresh request on a miss, the saved answer on a hit.
  const ask = async ([key, req]: [string, ChatRequest]): Promise<string> => {
    const hit = cache.get(key);
    if (hit) {
      if (!o.batch) cacheHits += 1;
      return hit.neutral;
    }
    if (o.batch) throw new RestyleError('llm_error', `batch line failed: ${batchErrors.get(key) ?? 'no answer in the batch output'}`);
    requests += 1;
    const r = await o.chat(o.editor.endpoint, req);
    usage.promptTokens += r.usage.promptTokens;
    usage.completionTokens += r.usage.completionTokens;
    cache.put(key, { neutral: r.text.trim(), promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens });
    return r.text.trim();
  };
  await mapLimit(blocks, o.concurrency, async (b) => {
    const approved = given.get(b);
    if (approved !== undefined && params.length === 0) {
      // An approved pair: a person already wrote (or accepted) the neutral side.
      neutral.set(b, approved);
      done += 1;
      o.progress?.(done, blocks.length, usage);
      return;
    }
    try {
      if (params.length > 0) {
        const raw = await ask(paramsRequest(b));
        const values = parseParams(raw, params);
        if (!values) {
          rejected.push({ doc: b.doc, index: b.index, reason: `style parameters not returned as JSON with ${params.join(', ')}` });
          return;
        }
        extracted.set(b, values);
      }
      const text = approved ?? (await ask(editorRequest(b)));
      const reason = approved !== undefined ? null : checkNeutral(b.styled, text);
      if (reason) rejected.push({ doc: b.doc, index: b.index, reason });
      else neutral.set(b, text);
    } catch (error) {
      const e = toRestyleError(error);
      // Auth, quota and missing-model errors fail the whole run: every other block would fail the same way.
      if (['llm_auth', 'quota_exceeded', 'model_not_found', 'env_missing'].includes(e.code)) throw e;
      failed.push({ doc: b.doc, index: b.index, error: `${e.code}: ${e.message}` });
    } finally {
      done += 1;
      o.progress?.(done, blocks.length, usage);
      // Keep peak memory flat on big corpora (see collectGarbage).
      if (done % 1_000 === 0) collectGarbage();
    }
  });
  // Reports list problems in document order, whatever order the requests finished in.
  const order = (a: { doc: string; index: number }, b: { doc: string; index: number }): number => (a.doc === b.doc ? a.index - b.index : a.doc < b.doc ? -1 : 1);
  rejected.sort(order);
  failed.sort(order);

  const kept = blocks.filter((b) => neutral.has(b));
  const uniqueDocs = [...new Set(kept.map((b) => b.doc))];
  const split: 'document' | 'block' = uniqueDocs.length > 1 ? 'document' : 'block';
  const validDocs = split === 'document' ? assignValid(uniqueDocs, o.validFraction, o.seed) : new Set<string>();
  const validBlocks = split === 'block' ? assignValid(kept.map((b) => `${b.doc}#${b.index}`), o.validFraction, o.seed) : new Set<string>();
  if (split === 'block') warnings.push('only one source document: split train/valid by block instead of by document (validation loss will read optimistic)');
  const isValid = (b: Block): boolean => (split === 'document' ? validDocs.has(b.doc) : validBlocks.has(`${b.doc}#${b.index}`));

  const files = {
    train: new AtomicJsonl(join(o.outDir, 'train.jsonl')),
    valid: new AtomicJsonl(join(o.outDir, 'valid.jsonl')),
    dtrain: new AtomicJsonl(join(o.outDir, 'destyle.train.jsonl')),
    dvalid: new AtomicJsonl(join(o.outDir, 'destyle.valid.jsonl')),
    pairs: new AtomicJsonl(join(o.outDir, 'pairs.jsonl')),
  };
  const destyler = { name: `${o.style.name} (destyler)`, prompt: o.style.destylerPrompt, params: {} };
  const tokens: number[] = [];
  for (const b of kept) {
    const n = neutral.get(b)!;
    const p = extracted.get(b) ?? {};
    const styler = buildExample(o.style, n, b.styled, p);
    const reverse = buildExample(destyler, b.styled, n);
    const valid = isValid(b);
    (valid ? files.valid : files.train).write(styler);
    (valid ? files.dvalid : files.dtrain).write(reverse);
    files.pairs.write({ doc: b.doc, ...(b.ref ? { ref: b.ref } : {}), block: b.index, split: valid ? 'valid' : 'train', styled: b.styled, neutral: n, ...(params.length ? { params: p } : {}), hash: sha256(b.styled).slice(0, 16) });
    tokens.push(countMessageTokens(styler.messages));
  }
  const trainCount = files.train.count;
  const validCount = files.valid.count;
  if (trainCount + validCount < 10) {
    for (const f of Object.values(files)) f.abort();
    throw new RestyleError('input_invalid', `only ${trainCount + validCount} usable examples; fine-tuning needs at least 10 (see ${join(o.outDir, 'pairs.jsonl')} and the rejections above)`);
  }
  for (const f of Object.values(files)) f.commit();
  if (trainCount + validCount < 2000) warnings.push(`${trainCount + validCount} examples: start evaluating a style at 2,000–3,000 samples; serious styles have ~30,000`);
  if (dedupe.exact + dedupe.near > 0) warnings.push(`${dedupe.exact} exact and ${dedupe.near} near-duplicate blocks dropped`);
  if (failed.length > 0) warnings.push(`${failed.length} block(s) failed at the provider; re-run the same command to retry only those`);

  const sorted = [...tokens].sort((a, b) => a - b);
  const pick = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const trainTokens = tokens.reduce((a, b) => a + b, 0);
  const report: BuildReport = {
    style: o.style.name,
    documents: docs.length,
    blocks: blocks.length,
    duplicates: { exact: dedupe.exact, near: dedupe.near },
    examples: { train: trainCount, valid: validCount },
    rejected,
    failed,
    split,
    requests,
    cachedResults: cacheHits,
    editorUsage: usage,
    tokensPerExample: { p50: pick(50), p95: pick(95), max: pick(100), limit: MAX_EXAMPLE_TOKENS, overLimit: tokens.filter((t) => t > MAX_EXAMPLE_TOKENS).length },
    trainingTokensPerEpoch: trainTokens,
    estimatedCostPerEpochUsd: Math.round((trainTokens / 1e6) * o.pricePerMTok * 100) / 100,
    warnings,
    promptHash: promptHash(o.style.prompt),
  };
  writeFileAtomic(join(o.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function parseParams(raw: string, names: readonly string[]): Record<string, string> | null {
  try {
    const obj = JSON.parse(raw) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const n of names) {
      if (typeof obj[n] !== 'string' || (obj[n] as string).trim() === '') return null;
      out[n] = (obj[n] as string).trim();
    }
    return out;
  } catch {
    return null;
  }
}

/** The Chat Completions body for a request (the Batch API takes raw bodies). */
function chatBody(req: ChatRequest): Record<string, unknown> {
  return {
    model: req.model,
    messages: req.messages,
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.jsonSchema ? { response_format: { type: 'json_schema', json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } } } : {}),
  };
}
