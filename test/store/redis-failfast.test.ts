import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { freePort } from '../support/redis-server.js';
import { startRedis } from '../support/redis.js';

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const settings = (url: string) => ({ redisUrl: url, dataDir: '', sqlitePath: '', connectTimeoutMs: 800 });

describe('Redis store fails fast', () => {
  it('an unreachable Redis rejects within the connect timeout, naming REDIS_URL and hiding the password', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const error = await openStore(settings(`redis://:s3cret-pw@127.0.0.1:${port}`)).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    expect(error).toMatchObject({ code: 'store_unavailable' });
    expect((error as Error).message).toContain('REDIS_URL');
    expect((error as Error).message).not.toContain('s3cret-pw');
    expect(elapsed).toBeLessThan(800 + 2000);
  });

  it('writes reject (never pretend) while Redis is down, and succeed once it is back', async () => {
    const redis = await startRedis();
    const store = await openStore(settings(redis.url));
    open.push(store);
    const ns = store.ns<string>('samples');
    await ns.set('before', 'ok');
    await redis.stop();
    await expect(ns.set('during', 'lost?')).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(store.claim('during', 1000)).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(store.ping()).rejects.toMatchObject({ code: 'store_unavailable' });
    await redis.start();
    await vi.waitFor(async () => ns.set('after', 'ok'), { timeout: 10_000, interval: 100 });
    expect(await ns.get('after')).toBe('ok');
    expect(await ns.get('during')).toBeUndefined();
  });
});
