/**
 * Per-caller rate limits on /v1/* (issue 13, "cost of one request"): 429 with Retry-After past
 * `rateLimits.api`, per token or per address, counted in /metrics; with the Redis store the count is
 * shared by every replica (two servers on one real redis-server).
 */
import { request } from 'node:http';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { startRedis } from '../../support/redis.js';
import { tmpDir } from '../../support/tmp.js';

let fake: FakeOpenAI;
const open: Array<{ http: HttpServer; ctx: AppContext }> = [];
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
afterEach(async () => {
  for (const { http, ctx } of open.splice(0)) {
    await http.close();
    await ctx.close();
  }
});

async function server(env: Record<string, string> = {}, config: Record<string, unknown> = {}): Promise<{ base: string; ctx: AppContext; port: number }> {
  const settings = settingsFrom(
    { styles: { wavy: { model: 'wavy-1' } }, rateLimits: { api: { points: 3, durationSeconds: 60 } }, restyle: { cacheTtlSeconds: 0 }, ...config },
    { OPENAI_API_KEY: 'sk-rate', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: tmpDir('rate'), ...env },
  );
  const ctx = await createContext(settings, { logger: silentLogger() });
  const http = createHttpServer({ ctx });
  open.push({ http, ctx });
  const port = await http.listen(0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, ctx, port };
}

/** POST /v1/restyle from a chosen loopback address. */
function restyle(port: number, headers: Record<string, string> = {}, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ text: 'hello', style: 'wavy' });
    const req = request({ host: '127.0.0.1', port, path: '/v1/restyle', method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('rate limits on /v1/*', () => {
  it('per address without a token: the 4th request in a minute is 429 with Retry-After; another address is not held back; counted in /metrics', async () => {
    const { base, port } = await server();
    for (let i = 0; i < 3; i += 1) expect((await restyle(port)).status).toBe(200);
    const limited = await restyle(port);
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'rate_limited', message: expect.stringMatching(/3 requests every 60 s \(rateLimits\.api\)/) } });
    expect((await restyle(port, {}, '127.0.0.2')).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/restyle_rate_limited_total\{kind="api"\} 1\b/);
  });

  it('per token when one is set: every address with the token shares its allowance', async () => {
    const { port } = await server({ RESTYLE_API_TOKEN: 'tok-rate-0123456789' });
    const auth = { authorization: 'Bearer tok-rate-0123456789', host: 'localhost' };
    expect((await restyle(port, auth, '127.0.0.1')).status).toBe(200);
    expect((await restyle(port, auth, '127.0.0.2')).status).toBe(200);
    expect((await restyle(port, auth, '127.0.0.3')).status).toBe(200);
    expect((await restyle(port, auth, '127.0.0.4')).status).toBe(429);
  });

  it('an app with a proxy token has its own allowance: refused requests from its address do not use it up', async () => {
    const { base } = await server({ RESTYLE_API_TOKEN: 'tok-rate-0123456789', WAVY_APP_TOKEN: 'app-tok-wavy-987' }, { proxy: { tokens: { WAVY_APP_TOKEN: 'wavy' } } });
    const models = (authorization?: string) => fetch(`${base}/v1/models`, { headers: authorization ? { authorization } : {} });
    // Callers without a token (the same load balancer address as the app) are refused, then limited…
    const refused = [];
    for (let i = 0; i < 5; i += 1) refused.push((await models()).status);
    expect(refused).toEqual([401, 401, 401, 429, 429]);
    // …and the app still gets its three.
    for (let i = 0; i < 3; i += 1) expect((await models('Bearer app-tok-wavy-987')).status).toBe(200);
    expect((await models('Bearer app-tok-wavy-987')).status).toBe(429);
  });

  it('with the Redis store, replicas share the count', async () => {
    const redis = await startRedis();
    const a = await server({ REDIS_URL: redis.url });
    const b = await server({ REDIS_URL: redis.url });
    expect((await restyle(a.port)).status).toBe(200);
    expect((await restyle(b.port)).status).toBe(200);
    expect((await restyle(a.port)).status).toBe(200);
    expect((await restyle(b.port)).status).toBe(429);
  });
});
