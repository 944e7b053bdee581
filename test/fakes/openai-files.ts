/**
 * Files and Batch API routes for the fake OpenAI server, added through `fake.route` (the core fake stays
 * untouched). Files keep their bytes, so tests — and the fine-tuning fake — can read what was uploaded;
 * a batch advances one status per poll (validating → in_progress → completed) and answers each input line
 * with the fake's chat responder, failed lines going to an error file like the real API does.
 *
 * @example
 * const fake = await startFakeOpenAI();
 * const files = installFiles(fake);          // POST/GET/DELETE /v1/files…
 * const batches = installBatches(fake);      // POST/GET /v1/batches…, reuses the same file registry
 * // … run the code under test through the real SDK …
 * const upload = files.get(batches.list()[0]!.input_file_id)!;
 * upload.content.toString('utf8');           // the JSONL that was sent
 */
import type { FakeOpenAI } from './openai.js';

export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  content: Buffer;
  created_at: number;
}

/**
 * Every file the fake holds, by id: a `Map` (so `get`, `has`, `values()`, `size`) plus `add`.
 * Stable API shared with the fine-tuning fake: `files.get(id) → {id, filename, purpose, bytes, content}`.
 */
export class FakeFiles extends Map<string, StoredFile> {
  /** Add a file as if uploaded (batch outputs and fine-tuning result files use it). */
  add(filename: string, purpose: string, content: Buffer): StoredFile {
    const f: StoredFile = { id: `file-fake-${++seq}`, filename, purpose, bytes: content.length, content, created_at: Math.floor(Date.now() / 1000) };
    this.set(f.id, f);
    return f;
  }

  /** Files uploaded with this purpose (`batch`, `fine-tune`, `batch_output`…), oldest first. */
  withPurpose(purpose: string): StoredFile[] {
    return [...this.values()].filter((f) => f.purpose === purpose);
  }
}

let seq = 0;
const registries = new WeakMap<FakeOpenAI, FakeFiles>();

const fileView = (f: StoredFile) => ({ id: f.id, object: 'file', bytes: f.bytes, created_at: f.created_at, filename: f.filename, purpose: f.purpose, status: 'processed' });

/** Install the Files API on `fake` (once; a second call returns the same registry). */
export function installFiles(fake: FakeOpenAI): FakeFiles {
  const existing = registries.get(fake);
  if (existing) return existing;
  const files = new FakeFiles();
  registries.set(fake, files);
  const missing = (ctx: Parameters<Parameters<FakeOpenAI['route']>[2]>[0]) =>
    ctx.error(404, `No such File object: ${ctx.params[0]}`, { type: 'invalid_request_error', param: 'id' });
  fake.route('POST', /^\/v1\/files$/, async (ctx) => {
    const form = await new Response(new Uint8Array(ctx.rawBody), { headers: { 'content-type': String(ctx.request.headers['content-type']) } }).formData();
    const file = form.get('file');
    const purpose = form.get('purpose');
    if (!(file instanceof Blob) || typeof purpose !== 'string') return ctx.error(400, "'file' and 'purpose' are required", { type: 'invalid_request_error' });
    const name = file instanceof File ? file.name : 'upload';
    return fileView(files.add(name, purpose, Buffer.from(await file.arrayBuffer())));
  });
  fake.route('GET', /^\/v1\/files$/, (ctx) => {
    const purpose = ctx.request.query.get('purpose');
    const data = [...files.values()].filter((f) => !purpose || f.purpose === purpose).map(fileView);
    return { object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  });
  fake.route('GET', /^\/v1\/files\/([^/]+)\/content$/, (ctx) => {
    const f = files.get(ctx.params[0]!);
    if (!f) return missing(ctx);
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(f.bytes) });
    ctx.res.end(f.content);
    return undefined;
  });
  fake.route('GET', /^\/v1\/files\/([^/]+)$/, (ctx) => {
    const f = files.get(ctx.params[0]!);
    return f ? fileView(f) : missing(ctx);
  });
  fake.route('DELETE', /^\/v1\/files\/([^/]+)$/, (ctx) => {
    if (!files.has(ctx.params[0]!)) return missing(ctx);
    files.delete(ctx.params[0]!);
    return { id: ctx.params[0], object: 'file', deleted: true };
  });
  return files;
}

export type BatchStatus = 'validating' | 'in_progress' | 'finalizing' | 'completed' | 'failed' | 'expired' | 'cancelling' | 'cancelled';

export interface FakeBatch {
  id: string;
  status: BatchStatus;
  endpoint: string;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  /** GET /v1/batches/:id calls so far. */
  polls: number;
  created_at: number;
}

/** A line the batch should answer with an error instead of the responder's reply. */
export interface LineFailure {
  status: number;
  message: string;
  code?: string;
}

export interface FakeBatches {
  /** Every batch created, by id. */
  readonly batches: Map<string, FakeBatch>;
  /** The file registry the batches read their input from and write their output to. */
  readonly files: FakeFiles;
  get(id: string): FakeBatch | undefined;
  list(): FakeBatch[];
  /**
   * Fail chosen lines: called with each line's `custom_id` and body; a returned failure puts that line in
   * the batch's error file (status_code ≠ 200) instead of the output file. Cleared with `failLines(undefined)`.
   */
  failLines(fn: ((customId: string, body: Record<string, unknown>) => LineFailure | undefined) | undefined): void;
  /** The next batch ends `expired` after answering only its first `answered` lines (partial output, like a missed 24 h window). */
  expireNext(answered: number): void;
}

/**
 * Install the Batch API on `fake` (`POST /v1/batches`, `GET /v1/batches/:id`, `GET /v1/batches`,
 * `POST /v1/batches/:id/cancel`), sharing the Files registry (installed here if it isn't yet).
 */
export function installBatches(fake: FakeOpenAI, files: FakeFiles = installFiles(fake)): FakeBatches {
  const batches = new Map<string, FakeBatch>();
  let lineFailure: ((customId: string, body: Record<string, unknown>) => LineFailure | undefined) | undefined;
  const expiries: number[] = [];
  const expireAfter = new Map<string, number>();
  const view = (b: FakeBatch) => ({
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: null,
    input_file_id: b.input_file_id,
    completion_window: '24h',
    status: b.status,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: b.created_at,
    in_progress_at: null,
    expires_at: b.created_at + 86_400,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelled_at: null,
    request_counts: { ...b.request_counts },
    metadata: null,
  });
  const notFound = (ctx: Parameters<Parameters<FakeOpenAI['route']>[2]>[0]) => ctx.error(404, `No batch with id ${ctx.params[0]}`, { type: 'invalid_request_error', param: 'batch_id' });

  /** Answer every line (or the first `limit`), write the output and error files. */
  async function run(b: FakeBatch, limit: number): Promise<void> {
    const input = files.get(b.input_file_id)!.content.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    const out: string[] = [];
    const err: string[] = [];
    for (const [i, line] of input.entries()) {
      if (i >= limit) break;
      const req = JSON.parse(line) as { custom_id: string; body: Record<string, unknown> };
      const failure = lineFailure?.(req.custom_id, req.body);
      if (failure) {
        err.push(
          JSON.stringify({
            id: `batch_req_${++seq}`,
            custom_id: req.custom_id,
            response: { status_code: failure.status, request_id: `req_${seq}`, body: { error: { message: failure.message, type: 'invalid_request_error', code: failure.code ?? null, param: null } } },
            error: null,
          }),
        );
        continue;
      }
      const body = await fake.complete(req.body);
      out.push(JSON.stringify({ id: `batch_req_${++seq}`, custom_id: req.custom_id, response: { status_code: 200, request_id: `req_${seq}`, body }, error: null }));
    }
    b.request_counts = { total: input.length, completed: out.length, failed: err.length };
    if (out.length > 0) b.output_file_id = files.add(`${b.id}_output.jsonl`, 'batch_output', Buffer.from(`${out.join('\n')}\n`)).id;
    if (err.length > 0) b.error_file_id = files.add(`${b.id}_error.jsonl`, 'batch_output', Buffer.from(`${err.join('\n')}\n`)).id;
  }

  fake.route('POST', /^\/v1\/batches$/, (ctx) => {
    const body = ctx.request.body as { input_file_id?: string; endpoint?: string; completion_window?: string } | undefined;
    const input = body?.input_file_id ? files.get(body.input_file_id) : undefined;
    if (!input) return ctx.error(400, 'input_file_id must name an uploaded file', { type: 'invalid_request_error', param: 'input_file_id' });
    if (input.purpose !== 'batch') return ctx.error(400, `file ${input.id} has purpose "${input.purpose}", expected "batch"`, { type: 'invalid_request_error', param: 'input_file_id' });
    if (!body?.endpoint) return ctx.error(400, "'endpoint' is required", { type: 'invalid_request_error', param: 'endpoint' });
    const total = input.content.toString('utf8').split('\n').filter((l) => l.trim() !== '').length;
    const b: FakeBatch = {
      id: `batch_fake_${++seq}`,
      status: 'validating',
      endpoint: body.endpoint,
      input_file_id: input.id,
      output_file_id: null,
      error_file_id: null,
      request_counts: { total, completed: 0, failed: 0 },
      polls: 0,
      created_at: Math.floor(Date.now() / 1000),
    };
    const expiry = expiries.shift();
    if (expiry !== undefined) expireAfter.set(b.id, expiry);
    batches.set(b.id, b);
    return view(b);
  });
  fake.route('GET', /^\/v1\/batches$/, () => {
    const data = [...batches.values()].reverse().map(view);
    return { object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  });
  fake.route('GET', /^\/v1\/batches\/([^/]+)$/, async (ctx) => {
    const b = batches.get(ctx.params[0]!);
    if (!b) return notFound(ctx);
    b.polls += 1;
    if (b.status === 'validating') b.status = 'in_progress';
    else if (b.status === 'in_progress') {
      const limit = expireAfter.get(b.id);
      await run(b, limit ?? Infinity);
      b.status = limit === undefined ? 'completed' : 'expired';
    } else if (b.status === 'cancelling') b.status = 'cancelled';
    return view(b);
  });
  fake.route('POST', /^\/v1\/batches\/([^/]+)\/cancel$/, (ctx) => {
    const b = batches.get(ctx.params[0]!);
    if (!b) return notFound(ctx);
    if (b.status === 'validating' || b.status === 'in_progress') b.status = 'cancelling';
    return view(b);
  });
  return {
    batches,
    files,
    get: (id) => batches.get(id),
    list: () => [...batches.values()],
    failLines(fn) {
      lineFailure = fn;
    },
    expireNext(answered) {
      expiries.push(answered);
    },
  };
}
