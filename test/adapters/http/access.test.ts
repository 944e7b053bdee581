/**
 * Who may reach restyle's own routes (issue 13): without RESTYLE_API_TOKEN, only requests addressed to
 * this machine (DNS rebinding defence); with a token, /metrics needs it (or RESTYLE_METRICS_TOKEN) unless
 * `http.publicMetrics`, and /readyz names its checks only to authenticated callers.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../../adapters/http/access.js';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { startFakeOpenAI } from '../../fakes/openai.js';
import { tmpDir } from '../../support/tmp.js';

const open: Array<{ http: HttpServer; ctx: AppContext; close?: () => Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.http.close();
    await o.ctx.close();
    await o.close?.();
  }
});

async function server(env: Record<string, string> = {}, config: Record<string, unknown> = {}): Promise<number> {
  const fake = await startFakeOpenAI();
  const settings = settingsFrom({ styles: { wavy: { model: 'wavy-secret-model-1' } }, ...config }, { OPENAI_API_KEY: 'sk-access', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: tmpDir('access'), ...env });
  const ctx = await createContext(settings, { logger: silentLogger() });
  const http = createHttpServer({ ctx });
  open.push({ http, ctx, close: () => fake.close() });
  return http.listen(0, '127.0.0.1');
}

/** A request to 127.0.0.1 with any Host header (fetch will not send a foreign one). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('loopback-only mode (no RESTYLE_API_TOKEN): Host must name this machine', () => {
  it('recognises loopback Host headers only', () => {
    for (const host of ['localhost', 'LOCALHOST:3000', '127.0.0.1', '127.1.2.3:80', '[::1]', '[::1]:3000']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', 'evil.example:3000', '[::2]', '10.0.0.1', '', undefined]) expect(isLoopbackHost(host), String(host)).toBe(false);
  });

  it('a rebinding page (loopback connection, foreign Host) gets 403 on /v1/*, /metrics and /readyz; loopback Hosts are served', async () => {
    const port = await server();
    const restyle = { text: 'hi', style: 'wavy' };
    for (const [method, path, body] of [['POST', '/v1/restyle', restyle], ['GET', '/metrics'], ['GET', '/readyz']] as const) {
      const res = await call(port, method, path, { host: `evil.example:${port}` }, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(JSON.parse(res.body).error.message).toMatch(/answers only requests addressed to this machine/);
      expect(res.body).not.toContain('wavy-secret-model-1');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect((await call(port, 'POST', '/v1/restyle', { host }, restyle)).status, host).toBe(200);
    expect((await call(port, 'GET', '/metrics', { host: 'localhost' })).status).toBe(200);
    // /healthz says nothing worth stealing: probes may use any Host.
    expect((await call(port, 'GET', '/healthz', { host: 'evil.example' })).status).toBe(200);
  });
});

describe('with RESTYLE_API_TOKEN', () => {
  const TOKEN = 'api-token-access-0123456789';

  it('/metrics needs the API token or RESTYLE_METRICS_TOKEN; /readyz names its checks only to authenticated callers', async () => {
    const port = await server({ RESTYLE_API_TOKEN: TOKEN, RESTYLE_METRICS_TOKEN: 'metrics-token-0123456789' });
    await call(port, 'POST', '/v1/restyle', { authorization: `Bearer ${TOKEN}` }, { text: 'hi', style: 'wavy' });
    const anonymous = await call(port, 'GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toContain('wavy-secret-model-1');
    expect((await call(port, 'GET', '/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    const api = await call(port, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(api.status).toBe(200);
    expect(api.body).toContain('wavy-secret-model-1');
    expect((await call(port, 'GET', '/metrics', { authorization: 'Bearer metrics-token-0123456789' })).status).toBe(200);

    expect(JSON.parse((await call(port, 'GET', '/readyz')).body)).toEqual({ ready: true });
    expect(JSON.parse((await call(port, 'GET', '/readyz', { authorization: `Bearer ${TOKEN}` })).body)).toEqual({ ready: true, checks: { store: true } });
  });

  it('http.publicMetrics: true serves /metrics without a token', async () => {
    const port = await server({ RESTYLE_API_TOKEN: TOKEN }, { http: { publicMetrics: true } });
    expect((await call(port, 'GET', '/metrics')).status).toBe(200);
    expect((await call(port, 'POST', '/v1/restyle', {}, { text: 'hi', style: 'wavy' })).status).toBe(401);
  });
});
