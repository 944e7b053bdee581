import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatches, type BatchRequest } from '../../src/corpus/batch.js';
import { EditorCache } from '../../src/corpus/cache.js';
import { toRestyleError } from '../../src/errors.js';
import { installBatches } from '../fakes/openai-files.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setResponder((body) => String(body.messages.at(-1)?.content).toUpperCase());
  dir = mkdtempSync(join(tmpdir(), 'restyle-batch-'));
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function* requests(n: number): AsyncGenerator<BatchRequest> {
  for (let i = 0; i < n; i++) yield { key: `k${i}`, body: { model: 'editor-1', messages: [{ role: 'user', content: `block ${i}` }] } };
}

describe('runBatches: the result files are the endpoint’s, not ours', () => {
  it('a result line over the length limit is skipped unread; its request is a failure to send again, the others are answered', async () => {
    const batches = installBatches(fake);
    // The error file's line for k1 carries a message far longer than the limit (a hostile or broken endpoint).
    batches.failLines((key) => (key === 'k1' ? { status: 400, message: 'x'.repeat(5_000) } : undefined));
    const cache = await EditorCache.open(join(dir, 'editor.jsonl'));
    const log: string[] = [];
    try {
      const outcome = await runBatches(requests(3), cache, {
        sdk: new OpenAI({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }),
        toError: (error) => toRestyleError(error),
        dir: join(dir, 'batch'),
        pollMs: 1,
        sleep: () => new Promise((r) => setImmediate(r)),
        log: (line) => log.push(line),
        maxLineChars: 1_000,
      });
      expect(outcome.answered).toBe(2);
      expect(cache.get('k0')?.text).toBe('BLOCK 0');
      expect(cache.get('k1')).toBeUndefined();
      expect([...outcome.failures.keys()]).toEqual(['k1']);
      expect(outcome.failures.get('k1')).toMatch(/no readable answer \(a result line over the length limit/);
      expect(log.join('\n')).toMatch(/1 result line\(s\) over the 1,000-character limit for one line were not read; their requests are sent again next run/);
    } finally {
      batches.failLines(undefined);
      cache.close();
    }
  });
});
