import { describe, expect, it, vi } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { openStore } from '../../src/store/index.js';
import { startRedis } from '../support/redis.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const fake = useFakeOpenAI();

describe('chaos: the real redis-server stops mid-run and comes back', () => {
  it('answers keep flowing (styled or failing open), writes fail loudly while down and work after', async () => {
    const redis = await startRedis();
    const settings = settingsFrom(
      { styles: { loud: { model: 'loud-1' } }, channels: { 'slack:C1': 'loud' }, restyle: { maxRetries: 0 } },
      { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: fake.url, REDIS_URL: redis.url },
    );
    const store = await openStore({ ...settings.store, connectTimeoutMs: 500 });
    const restyler = new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
    try {
      expect(await restyler.restyle('before', { channel: 'slack:C1' })).toMatchObject({ text: 'BEFORE', styled: true });

      await redis.stop();
      // Explicit style: the cache is skipped, the model still styles.
      expect(await restyler.restyle('during', { style: 'loud' })).toMatchObject({ text: 'DURING', styled: true });
      // Channel mapping unreadable: the answer passes through unchanged, flagged, never an exception.
      const mapped = await restyler.restyle('during', { channel: 'slack:C1' });
      expect(mapped).toMatchObject({ text: 'during', styled: false, reason: 'store_unavailable' });
      // A save is refused, not reported saved.
      await expect(store.ns('samples').set('chaos-sample', { styled: 'x' })).rejects.toMatchObject({ code: 'store_unavailable' });

      await redis.start();
      await vi.waitFor(async () => expect((await restyler.restyle('after', { channel: 'slack:C1' })).styled).toBe(true), { timeout: 10_000, interval: 100 });
      await store.ns('samples').set('chaos-sample', { styled: 'x' });
      expect(await store.ns('samples').get('chaos-sample')).toEqual({ styled: 'x' });
    } finally {
      await store.close();
    }
  });
});
