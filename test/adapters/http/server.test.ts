import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { createHttpServer, isLoopback, type HttpServer } from '../../../adapters/http/server.js';
import { tmpDir } from '../../support/tmp.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

let ctx: AppContext;
let http: HttpServer;
let base: string;

const fake = useFakeOpenAI({ responder: (body) => `~${body.messages[1].content}~` });

async function start(env: Record<string, string> = {}): Promise<void> {
  const dir = tmpDir('http');
  const settings = settingsFrom(
    { styles: { wavy: { model: 'wavy-1' } }, channels: { 'slack:C1': 'wavy' } },
    { OPENAI_API_KEY: 'sk-http', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: dir, ...env },
  );
  ctx = await createContext(settings, { logger: silentLogger() });
  http = createHttpServer({ ctx, bodyLimit: 4096 });
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
}
beforeEach(async () => start());
afterEach(async () => {
  await http.close();
  await ctx.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('HTTP API', () => {
  it('GET /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('POST /v1/restyle by style and by channel', async () => {
    const a = await post('/v1/restyle', { text: 'hello', style: 'wavy' });
    expect(a.status).toBe(200);
    expect(await a.json()).toMatchObject({ text: '~hello~', styled: true, style: 'wavy', model: 'wavy-1' });
    const b = await (await post('/v1/restyle', { text: 'hello', channel: 'slack:C1' })).json();
    expect(b).toMatchObject({ text: '~hello~', style: 'wavy' });
  });

  it('bad input gets a JSON error naming what was wrong', async () => {
    const cases: Array<[unknown, number, string, RegExp]> = [
      ['{not json', 400, 'input_invalid', /not valid JSON/],
      [{ style: 'wavy' }, 400, 'input_invalid', /^text: required/],
      [{ text: 42 }, 400, 'input_invalid', /^text: must be a string, not a number$/],
      [{ text: null }, 400, 'input_invalid', /^text: must be a string, not null$/],
      [{ text: 'x', style: 'nope' }, 400, 'style_unknown', /known styles: wavy/],
      [{ text: 'x', bogus: 1 }, 400, 'input_invalid', /unknown key\(s\) bogus/],
      // A channel name instead of a key: a clear 400 as /v1/post gives, not 200 `no_style`.
      [{ text: 'x', channel: 'general' }, 400, 'input_invalid', /^channel "general" is not a channel key such as slack:C0123ABC/],
      [{ text: 'x', style: 'wavy', params: { tone: 'dry' } }, 400, 'input_invalid', /^unknown parameter "tone" for style "wavy": its prompt uses no parameters/],
      [{ text: 'x'.repeat(5000) }, 413, 'input_invalid', /larger than 4096 bytes/],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await post('/v1/restyle', body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message).toMatch(message);
    }
    const wrongType = await fetch(`${base}/v1/restyle`, { method: 'POST', body: 'text' });
    expect(wrongType.status).toBe(415);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/v1/restyle`)).status).toBe(405);
  });

  it('style and channel names inherited from Object.prototype are unknown (4xx), never a 500 or a function', async () => {
    for (const style of ['constructor', 'toString', '__proto__', 'valueOf']) {
      const res = await post('/v1/restyle', { text: 'x', style });
      expect(res.status, style).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'style_unknown', message: `unknown style "${style}"; known styles: wavy` } });
    }
    for (const channel of ['constructor', 'toString', '__proto__']) {
      const res = await post('/v1/restyle', { text: 'x', channel });
      expect(res.status, channel).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error).toMatchObject({ code: 'input_invalid', message: expect.stringContaining(`channel "${channel}" is not a channel key`) });
      expect(json.error.message).not.toMatch(/function|native code/);
    }
    // A well-formed channel key that only exists on Object.prototype's side is simply unmapped.
    expect(await ctx.restyler.channels.get('constructor')).toBeNull();
    expect(await (await post('/v1/restyle', { text: 'x', channel: 'slack:constructor' })).json()).toMatchObject({ styled: false, reason: 'no_style' });
  });

  it('a model endpoint\'s refusal is a 502 to the caller (onError: error), never its own 401 or 400', async () => {
    try {
      // Our key refused upstream: not the caller's token.
      fake.failNext(5, { status: 401 });
      const auth = await post('/v1/restyle', { text: 'hello', style: 'wavy', onError: 'error' });
      expect(auth.status).toBe(502);
      expect((await auth.json()) as unknown).toMatchObject({ error: { code: 'llm_auth' } });
      // The endpoint rejecting our request: not the caller's bad request.
      fake.reset();
      fake.failNext(5, { status: 400, message: 'max_tokens is too large' });
      const bad = await post('/v1/restyle', { text: 'hello', style: 'wavy', onError: 'error' });
      expect(bad.status).toBe(502);
      expect((await bad.json()) as unknown).toMatchObject({ error: { code: 'llm_bad_request' } });
    } finally {
      fake.reset();
    }
  });

  it('requires the bearer token when RESTYLE_API_TOKEN is set', async () => {
    await http.close();
    await ctx.close();
    await start({ RESTYLE_API_TOKEN: 'tok-123456' });
    expect((await post('/v1/restyle', { text: 'x', style: 'wavy' })).status).toBe(401);
    expect((await post('/v1/restyle', { text: 'x', style: 'wavy' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/v1/restyle', { text: 'x', style: 'wavy' }, { authorization: 'Bearer tok-123456' })).status).toBe(200);
  });

  it('a request refused before its body is read is answered and its connection closed, not kept open to drain the body', async () => {
    await http.close();
    await ctx.close();
    await start({ RESTYLE_API_TOKEN: 'tok-123456' });
    const port = Number(new URL(base).port);
    // Announces a megabyte, sends a few bytes, and would trickle the rest (a slow or hostile sender).
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('POST /v1/restyle HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nauthorization: Bearer wrong\r\ncontent-length: 1000000\r\n\r\n{"text":"');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    // A request with no body keeps its keep-alive connection, refused or not.
    const plain = connect(port, '127.0.0.1');
    let reply = '';
    plain.on('data', (d: Buffer) => (reply += d.toString()));
    plain.write('GET /nope HTTP/1.1\r\nhost: localhost\r\n\r\n');
    await vi.waitFor(() => expect(reply).toMatch(/\r\n\r\n\{.*\}$/s));
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply.toLowerCase()).toContain('connection: keep-alive');
    plain.destroy();
  });

  it('without RESTYLE_API_TOKEN answers this machine only', async () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '', undefined].some(isLoopback)).toBe(false);
    // A real connection from another address of this host, when it has one.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!external) return;
    const open = createHttpServer({ ctx, bodyLimit: 4096 });
    const port = await open.listen(0, '0.0.0.0');
    try {
      const far = await fetch(`http://${external}:${port}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x', style: 'wavy' }) });
      expect(far.status).toBe(401);
      expect((await far.json()).error.message).toContain('RESTYLE_API_TOKEN is not set');
      const near = await fetch(`http://127.0.0.1:${port}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x', style: 'wavy' }) });
      expect(near.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('operations endpoints', () => {
  it('GET /readyz checks the store and added checks; 503 names the failing one', async () => {
    const ok = await fetch(`${base}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ready: true, checks: { store: true } });
    let up = false;
    http.addReadiness('slack', () => up);
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ready: false, checks: { store: true, slack: false } });
    up = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('GET /metrics: Prometheus text with requests, restyles, model latency, tokens and cache', async () => {
    await post('/v1/restyle', { text: 'count me', style: 'wavy' });
    await post('/v1/restyle', { text: 'count me', style: 'wavy' });
    await post('/v1/restyle', { text: 'x', style: 'nope' });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/restyle_http_requests_total\{route="\/v1\/restyle",status="200"\} 2/);
    expect(text).toMatch(/restyle_http_requests_total\{route="\/v1\/restyle",status="400"\} 1/);
    expect(text).toMatch(/restyle_restyles_total\{outcome="styled",reason=""\} 2/);
    expect(text).toMatch(/restyle_model_latency_seconds_count\{model="wavy-1",cached="false",ok="true"\} 1/);
    expect(text).toMatch(/restyle_cache_total\{result="hit"\} 1/);
    expect(text).toMatch(/restyle_tokens_total\{kind="prompt"\} [1-9]/);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${base}/healthz`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
