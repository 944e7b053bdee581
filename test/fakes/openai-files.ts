/**
 * Files and Batch API routes for the fake OpenAI server, added through `fake.route`. Files keep their bytes
 * so tests (and the fine-tuning fake) can read what was uploaded; a batch advances one status per poll
 * (validating → in_progress → completed) and answers each line with the fake's chat responder.
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

export interface FakeFiles {
  files: Map<string, StoredFile>;
  /** Add a file as if uploaded (the batch output uses it). */
  add(filename: string, purpose: string, content: Buffer): StoredFile;
}

let seq = 0;

export function installFiles(fake: FakeOpenAI): FakeFiles {
  const files = new Map<string, StoredFile>();
  const add = (filename: string, purpose: string, content: Buffer): StoredFile => {
    const f = { id: `file-fake-${++seq}`, filename, purpose, bytes: content.length, content, created_at: Math.floor(Date.now() / 1000) };
    files.set(f.id, f);
    return f;
  };
  const view = (f: StoredFile) => ({ id: f.id, object: 'file', bytes: f.bytes, created_at: f.created_at, filename: f.filename, purpose: f.purpose, status: 'processed' });
  fake.route('POST', /^\/v1\/files$/, async (ctx) => {
    const form = await new Response(new Uint8Array(ctx.rawBody), { headers: { 'content-type': String(ctx.request.headers['content-type']) } }).formData();
    const file = form.get('file');
    const purpose = form.get('purpose');
    if (!(file instanceof Blob) || typeof purpose !== 'string') return ctx.error(400, "'file' and 'purpose' are required", { type: 'invalid_request_error' });
    return view(add((file as File).name ?? 'upload', purpose, Buffer.from(await file.arrayBuffer())));
  });
  fake.route('GET', /^\/v1\/files\/([^/]+)\/content$/, (ctx) => {
    const f = files.get(ctx.params[0]!);
    if (!f) return ctx.error(404, `No such File object: ${ctx.params[0]}`, { type: 'invalid_request_error' });
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream' });
    ctx.res.end(f.content);
    return undefined;
  });
  fake.route('GET', /^\/v1\/files\/([^/]+)$/, (ctx) => {
    const f = files.get(ctx.params[0]!);
    return f ? view(f) : ctx.error(404, `No such File object: ${ctx.params[0]}`, { type: 'invalid_request_error' });
  });
  fake.route('DELETE', /^\/v1\/files\/([^/]+)$/, (ctx) => ({ id: ctx.params[0], object: 'file', deleted: files.delete(ctx.params[0]!) }));
  return { files, add };
}

export interface FakeBatch {
  id: string;
  status: 'validating' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
  input_file_id: string;
  output_file_id: string | null;
  polls: number;
}

export function installBatches(fake: FakeOpenAI, files: FakeFiles): { batches: Map<string, FakeBatch> } {
  const batches = new Map<string, FakeBatch>();
  const view = (b: FakeBatch) => ({
    id: b.id,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    input_file_id: b.input_file_id,
    output_file_id: b.output_file_id,
    error_file_id: null,
    completion_window: '24h',
    status: b.status,
    created_at: 0,
    request_counts: { total: 0, completed: 0, failed: 0 },
  });
  fake.route('POST', /^\/v1\/batches$/, (ctx) => {
    const body = ctx.request.body as { input_file_id?: string; endpoint?: string };
    if (!body?.input_file_id || !files.files.has(body.input_file_id)) return ctx.error(400, 'input_file_id must name an uploaded file', { type: 'invalid_request_error' });
    const b: FakeBatch = { id: `batch_fake_${++seq}`, status: 'validating', input_file_id: body.input_file_id, output_file_id: null, polls: 0 };
    batches.set(b.id, b);
    return view(b);
  });
  fake.route('GET', /^\/v1\/batches\/([^/]+)$/, async (ctx) => {
    const b = batches.get(ctx.params[0]!);
    if (!b) return ctx.error(404, `No batch ${ctx.params[0]}`, { type: 'invalid_request_error' });
    b.polls += 1;
    if (b.status === 'validating') b.status = 'in_progress';
    else if (b.status === 'in_progress') {
      const input = files.files.get(b.input_file_id)!.content.toString('utf8').trim().split('\n');
      const out: string[] = [];
      for (const line of input) {
        const req = JSON.parse(line) as { custom_id: string; body: Record<string, unknown> };
        out.push(JSON.stringify({ id: `resp-${req.custom_id}`, custom_id: req.custom_id, response: { status_code: 200, body: await fake.complete(req.body) }, error: null }));
      }
      b.output_file_id = files.add(`${b.id}_output.jsonl`, 'batch_output', Buffer.from(`${out.join('\n')}\n`)).id;
      b.status = 'completed';
    }
    return view(b);
  });
  fake.route('POST', /^\/v1\/batches\/([^/]+)\/cancel$/, (ctx) => {
    const b = batches.get(ctx.params[0]!);
    if (!b) return ctx.error(404, `No batch ${ctx.params[0]}`, { type: 'invalid_request_error' });
    b.status = 'cancelled';
    return view(b);
  });
  return { batches };
}
