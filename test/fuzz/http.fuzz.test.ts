import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { settingsFrom } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { createHttpServer, type HttpServer } from '../../adapters/http/server.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';

let fake: FakeOpenAI;
let ctx: AppContext;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const settings = settingsFrom({ styles: { s: { model: 'm' } } }, { OPENAI_API_KEY: 'sk', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: tmpDir('http-fuzz') });
  ctx = await createContext(settings, { logger: silentLogger() });
  http = createHttpServer({ ctx, bodyLimit: 8192 });
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
});
afterAll(async () => {
  await http.close();
  await ctx.close();
  await fake.close();
});

describe('HTTP API fuzz', () => {
  it('random bodies: a result or a JSON error with a code, never a 500 or a dropped connection', async () => {
    const value = fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom('text', 'style', 'channel', 'params', 'from', 'onError', 'extra'), value, { maxKeys: 5 }).map((o) => JSON.stringify(o)),
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8'), async (payload, type) => {
        const res = await fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': type }, body: payload });
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as { error?: { code: string; message: string }; text?: string };
        if (res.status === 200) expect(typeof json.text).toBe('string');
        else {
          expect(json.error?.code).toMatch(/^[a-z_]+$/);
          expect(json.error?.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
