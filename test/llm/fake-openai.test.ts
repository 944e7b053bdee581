import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';

describe('the fake OpenAI server', () => {
  it('answers the real SDK, checks the key, and speaks OpenAI error JSON', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-right' });
    try {
      const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'sk-right', maxRetries: 0 });
      const r = await sdk.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'quiet' }] });
      expect(r.choices[0]!.message.content).toBe('QUIET');
      const wrong = new OpenAI({ baseURL: fake.url, apiKey: 'sk-wrong', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      const raw = await fetch(`${fake.url}/nope`, { headers: { authorization: 'Bearer sk-right' } });
      expect(raw.status).toBe(404);
      expect(await raw.json()).toEqual({ error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error', code: null, param: null } });
    } finally {
      await fake.close();
    }
  });

  it('takes extra routes (later: files, batches, fine-tuning) reachable through the SDK', async () => {
    const fake = await startFakeOpenAI();
    try {
      fake.route('GET', /^\/v1\/files$/, () => ({ object: 'list', data: [{ id: 'file-1', object: 'file', bytes: 3, created_at: 1, filename: 'train.jsonl', purpose: 'fine-tune', status: 'processed' }] }));
      fake.route('GET', /^\/v1\/files\/([^/]+)$/, (ctx) => ctx.error(404, `No such File object: ${ctx.params[0]}`, { code: 'not_found' }));
      const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0 });
      const ids: string[] = [];
      for await (const f of sdk.files.list()) ids.push(f.id);
      expect(ids).toEqual(['file-1']);
      await expect(sdk.files.retrieve('file-9')).rejects.toMatchObject({ status: 404, message: expect.stringContaining('file-9') });
    } finally {
      await fake.close();
    }
  });

  it('close() does not wait for hanging requests', async () => {
    const fake = await startFakeOpenAI();
    fake.hangNext(2);
    fake.setLatency(60_000); // longer than the test may run
    const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0 });
    const calls = [1, 2, 3].map(() => sdk.models.list().then(
      () => 'answered',
      () => 'failed',
    ));
    await vi.waitFor(() => expect(fake.requests).toHaveLength(3), { interval: 5 });
    // The requests hang for good: close() returning at all shows it did not wait for them.
    await fake.close();
    expect(await Promise.all(calls)).toEqual(['failed', 'failed', 'failed']);
  });
});
