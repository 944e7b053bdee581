import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { RestyleError } from '../errors.js';
import { sha256 } from '../util/hash.js';

export interface BatchRequest {
  customId: string;
  body: Record<string, unknown>;
}

export type BatchAnswer = { text: string; promptTokens: number; completionTokens: number } | { error: string };

export interface BatchOptions {
  /** Remembers the submitted batch, so a re-run resumes polling instead of paying twice. */
  stateFile: string;
  pollMs: number;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const DONE = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * The same editor work through OpenAI's Batch API (half the price, results within 24 h): upload the
 * requests as JSONL, create the batch, poll, download the output and join it by `custom_id`.
 */
export async function runBatch(sdk: OpenAI, requests: readonly BatchRequest[], o: BatchOptions): Promise<Map<string, BatchAnswer>> {
  const answers = new Map<string, BatchAnswer>();
  if (requests.length === 0) return answers;
  const jsonl = requests.map((r) => JSON.stringify({ custom_id: r.customId, method: 'POST', url: '/v1/chat/completions', body: r.body })).join('\n') + '\n';
  const inputHash = sha256(jsonl);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let batchId: string | undefined;
  if (existsSync(o.stateFile)) {
    const state = JSON.parse(readFileSync(o.stateFile, 'utf8')) as { batchId: string; inputHash: string };
    if (state.inputHash === inputHash) {
      batchId = state.batchId;
      o.log(`batch: resuming ${batchId}`);
    }
  }
  if (!batchId) {
    const file = await sdk.files.create({ file: await toFile(Buffer.from(jsonl), 'restyle-editor-batch.jsonl'), purpose: 'batch' });
    const batch = await sdk.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    batchId = batch.id;
    mkdirSync(dirname(o.stateFile), { recursive: true });
    writeFileSync(o.stateFile, JSON.stringify({ batchId, inputHash }));
    o.log(`batch: submitted ${batchId} with ${requests.length} request(s)`);
  }
  let batch = await sdk.batches.retrieve(batchId);
  while (!DONE.has(batch.status)) {
    o.log(`batch: ${batch.status} (${batch.request_counts?.completed ?? 0}/${batch.request_counts?.total ?? requests.length})`);
    await sleep(o.pollMs);
    batch = await sdk.batches.retrieve(batchId);
  }
  if (batch.status !== 'completed' || !batch.output_file_id) {
    throw new RestyleError('llm_error', `batch ${batchId} ended ${batch.status}; re-run without --batch, or with it to submit again`, { details: { batchId, status: batch.status } });
  }
  const output = await (await sdk.files.content(batch.output_file_id)).text();
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as {
      custom_id: string;
      response?: { status_code: number; body?: { choices?: Array<{ message?: { content?: string } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } } };
      error?: { message?: string } | null;
    };
    const body = row.response?.body;
    const text = body?.choices?.[0]?.message?.content;
    answers.set(
      row.custom_id,
      row.response?.status_code === 200 && typeof text === 'string'
        ? { text, promptTokens: body?.usage?.prompt_tokens ?? 0, completionTokens: body?.usage?.completion_tokens ?? 0 }
        : { error: row.error?.message ?? `status ${row.response?.status_code ?? 'unknown'}` },
    );
  }
  return answers;
}
