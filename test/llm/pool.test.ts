import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';

let one: FakeOpenAI;
let two: FakeOpenAI;

beforeAll(async () => {
  [one, two] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
});

const pool = (): LlmPool => new LlmPool({ llm: { concurrency: 4, rpm: 0, tpm: 0 }, restyle: { requestTimeoutMs: 2000, maxRetries: 0 } });
const at = (baseUrl: string, apiKey: string | undefined, apiKeyEnv = 'OPENAI_API_KEY'): Endpoint => ({ baseUrl, apiKey, apiKeyEnv });

describe('LlmPool', () => {
  it('one client and one limiter per (baseUrl, key)', () => {
    const p = pool();
    const a = p.get(at(one.url, 'sk-a'));
    expect(p.get(at(one.url, 'sk-a', 'OTHER_NAME_SAME_KEY'))).toBe(a);
    expect(p.get(at(`${one.url}/`, 'sk-a'))).toBe(a);
    const otherKey = p.get(at(one.url, 'sk-b'));
    const otherUrl = p.get(at(two.url, 'sk-a'));
    expect(otherKey).not.toBe(a);
    expect(otherUrl).not.toBe(a);
    expect(otherKey.limiter).not.toBe(a.limiter);
    expect(p.list()).toHaveLength(3);
  });

  it('aggregates usage over its endpoints, per model', async () => {
    const p = pool();
    const msg = [{ role: 'user' as const, content: 'hello there' }];
    const r1 = await p.get(at(one.url, 'sk-a')).chat({ model: 'm1', messages: msg });
    const r2 = await p.get(at(two.url, 'sk-a')).chat({ model: 'm2', messages: msg });
    const r3 = await p.get(at(two.url, 'sk-a')).chat({ model: 'm1', messages: msg });
    const snap = p.usage.snapshot();
    expect(snap.total.requests).toBe(3);
    expect(snap.total.totalTokens).toBe(r1.usage.totalTokens + r2.usage.totalTokens + r3.usage.totalTokens);
    expect(snap.byModel.m1!.requests).toBe(2);
    expect(one.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-a']);
  });

  it('passes the settings on: timeouts and retries', async () => {
    const p = new LlmPool({ llm: { concurrency: 4, rpm: 0, tpm: 0 }, restyle: { requestTimeoutMs: 150, maxRetries: 1 } });
    one.hangNext(2);
    // The fake never answers, so only the 150 ms timeout (twice) can end this.
    await expect(p.get(at(one.url, 'sk-a')).chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      code: 'llm_timeout',
      details: { attempts: 2, timeoutMs: 150 },
    });
  });
});
