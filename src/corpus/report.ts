import type { NoiseReason, NoiseRules } from './noise.js';

/** Where a block came from, for the report's lists of rejected and failed blocks. */
export interface BlockRef {
  doc: string;
  /** Block number within the document. */
  block: number;
  /** Message ts/id or sample id, for chat sources. */
  ref?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface DirectionStats {
  trainExamples: number;
  validExamples: number;
  /** Tokens in the training file: what one epoch bills. */
  trainTokens: number;
  validTokens: number;
  costPerEpochUsd: number;
  /** At OpenAI's default epoch count for this many examples (`training.defaultEpochs`). */
  estimatedCostUsd: number;
}

/** `report.json`: everything a person (or `restyle train`) needs to judge the data before paying for training. */
export interface BuildReport {
  style: string;
  /** How train and valid were separated: by source document, or by block when there was only one document. */
  split: 'document' | 'block';
  /** Hash of the style prompt template the styler examples were rendered from. */
  promptHash: string;
  destylerPromptHash: string;
  /** False when some blocks failed at the provider: re-running the same command retries only those. */
  complete: boolean;
  /** Set when the run stopped asking after too many provider errors in a row (the rest are in `failed`). */
  stoppedEarly?: string;
  seed: number;
  validFraction: number;
  inputs: { paths: string[]; fromStore: boolean; documents: number; skippedFiles: string[] };
  /** Blocks after de-duplication. */
  blocks: number;
  duplicates: { exact: number; near: number };
  /** Blocks with no words in them (only links, mentions or emoji), left out. */
  withoutProse: number;
  /** Blocks left out as noise, by reason, and the rules that decided (src/corpus/noise.ts). */
  noise: NoiseRules & Record<NoiseReason, number>;
  documents: { train: number; valid: number };
  examples: { train: number; valid: number };
  editor: {
    model: string;
    /** Hash of the editor prompt (the cache is keyed by it). */
    promptHash: string;
    mode: 'live' | 'batch';
    /** Requests paid for in this run (batch lines included). */
    requests: number;
    /** Answers reused from earlier runs instead of paid for again. */
    reused: number;
    /** Approved pairs from chat, used without an editor call. */
    approvedPairs: number;
    /** Retries after 429/5xx/timeouts in this run. */
    retries: number;
    usage: Usage;
    /** What the reused answers cost when they were paid for. */
    reusedUsage: Usage;
    /** This run's editor spend, when `corpus.editorPrice` is set. */
    estimatedCostUsd?: number;
    params?: string[];
  };
  /** Rewrites that lost facts (or were empty, cut off…): not written, listed with the reason. */
  rejected: Array<BlockRef & { reason: string }>;
  rejectedByReason: Record<string, number>;
  /** Blocks the provider failed on (or that were not attempted): retried by the next run. */
  failed: Array<BlockRef & { error: string }>;
  /** Pairs whose neutral side came back identical to the styled block. */
  unchanged: number;
  tokensPerExample: { p50: number; p95: number; max: number; limit: number; overLimit: number };
  training: { pricePerMTok: number; defaultEpochs: number; styler: DirectionStats; destyler: DirectionStats };
  /** Each written file's example count, size and sha256 (so a consumer can tell the set belongs together). */
  files: Record<string, { examples: number; bytes: number; sha256: string }>;
  warnings: string[];
}

const n = (x: number): string => x.toLocaleString('en-US');
const money = (x: number): string => `$${x.toFixed(2)}`;

/** A rejection reason without its particulars ("lost number "40"" → "lost number"), for counting. */
export function reasonKind(reason: string): string {
  const lost = /^lost [a-z ]+?(?= ")/.exec(reason);
  if (lost) return lost[0];
  return reason.replace(/\d+%/g, 'N%').replace(/\s*\(.*\)$/, '');
}

const LIST_LIMIT = 20;

/** The human summary printed on stderr after a build. */
export function summarize(r: BuildReport, outShown: string): string[] {
  const lines: string[] = [];
  const dupes = r.duplicates.exact + r.duplicates.near;
  lines.push(
    `corpus: ${n(r.inputs.documents)} document(s) → ${n(r.blocks)} block(s)` +
      (dupes > 0 ? ` (${n(r.duplicates.exact)} exact and ${n(r.duplicates.near)} near duplicate(s) dropped)` : ''),
  );
  const z = r.noise;
  const left = [
    [z.short, `short (< ${z.minWords} words)`],
    [z.code, `code or log lines (> ${Math.round(z.maxCodeShare * 100)}% code-like)`],
    [z.linkOnly, `link-only (< ${z.linkWords} words besides a link)`],
    [z.repeated, `repeated (posted > ${z.maxRepeats} times)`],
    [r.withoutProse, 'without words'],
  ] as const;
  if (left.some(([c]) => c > 0)) lines.push(`left out as noise: ${left.map(([c, what]) => `${n(c)} ${what}`).join(', ')}`);
  const e = r.editor;
  const spent = e.usage.promptTokens + e.usage.completionTokens;
  lines.push(
    `editor: ${e.model}${e.mode === 'batch' ? ' via the Batch API' : ''} · ${n(e.requests)} request(s) this run, ${n(e.reused)} answer(s) reused` +
      (e.approvedPairs > 0 ? `, ${n(e.approvedPairs)} approved pair(s)` : '') +
      ` · ${n(spent)} tokens this run (${n(e.usage.promptTokens)} in, ${n(e.usage.completionTokens)} out)` +
      (e.estimatedCostUsd !== undefined ? ` ≈ ${money(e.estimatedCostUsd)}` : '') +
      (e.retries > 0 ? ` · ${n(e.retries)} retr${e.retries === 1 ? 'y' : 'ies'}` : ''),
  );
  lines.push(
    `examples: ${n(r.examples.train)} train + ${n(r.examples.valid)} valid, each direction ` +
      (r.split === 'document' ? `(split by document: ${n(r.documents.train)} train, ${n(r.documents.valid)} valid; seed ${r.seed})` : `(split by block: one source document; seed ${r.seed})`),
  );
  const t = r.tokensPerExample;
  lines.push(`tokens per example: p50 ${n(t.p50)}, p95 ${n(t.p95)}, max ${n(t.max)} (limit ${n(t.limit)})${t.overLimit > 0 ? `, ${n(t.overLimit)} over the limit left out` : ''}`);
  const tr = r.training;
  lines.push(
    `training: styler ${n(tr.styler.trainTokens)} tokens/epoch ≈ ${money(tr.styler.costPerEpochUsd)}, de-styler ${n(tr.destyler.trainTokens)} tokens/epoch ≈ ${money(tr.destyler.costPerEpochUsd)} ` +
      `(at $${tr.pricePerMTok}/1M; OpenAI's default ${tr.defaultEpochs} epoch(s) ≈ ${money(tr.styler.estimatedCostUsd)} + ${money(tr.destyler.estimatedCostUsd)})`,
  );
  if (r.rejected.length > 0) {
    const kinds = Object.entries(r.rejectedByReason)
      .map(([k, c]) => `${k} ×${n(c)}`)
      .join(', ');
    lines.push(`rejected ${n(r.rejected.length)} block(s): ${kinds}`);
    for (const x of r.rejected.slice(0, LIST_LIMIT)) lines.push(`  ${where(x)}: ${x.reason}`);
    if (r.rejected.length > LIST_LIMIT) lines.push(`  … and ${n(r.rejected.length - LIST_LIMIT)} more in report.json`);
  }
  if (r.failed.length > 0) {
    lines.push(`failed ${n(r.failed.length)} block(s) at the provider; re-run the same command to retry only those:`);
    for (const x of r.failed.slice(0, LIST_LIMIT)) lines.push(`  ${where(x)}: ${x.error}`);
    if (r.failed.length > LIST_LIMIT) lines.push(`  … and ${n(r.failed.length - LIST_LIMIT)} more in report.json`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(`wrote ${Object.keys(r.files).join(', ')} and report.json in ${outShown}`);
  return lines;
}

function where(x: BlockRef): string {
  return `${x.doc}${x.ref ? ` (${x.ref})` : ''} block ${x.block}`;
}
