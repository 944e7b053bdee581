/**
 * POST /slack/events refuses what it can before reading a body, and reads the rest under limits
 * (issue 13, hole 1): through the real Bolt receiver on restyle's HTTP server, with raw sockets so a test
 * can hold a body open or send it without a declared length.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventRequest, signSlackRequest } from '../../fakes/slack.js';
import { SIGNING_SECRET, startSlackHarness, type SlackHarness } from './harness.js';

let h: SlackHarness;
let port: number;
beforeAll(async () => {
  h = await startSlackHarness({
    config: { http: { slack: { bodyTimeoutMs: 1500, maxUnverified: 3, maxUnverifiedPerAddress: 2, maxUnverifiedBytes: 200_000, bodyLimitBytes: 100_000 } } },
  });
  port = Number(new URL(h.eventsUrl).port);
});
afterAll(() => h?.close());

const reaction = () => eventRequest({ type: 'reaction_added', user: 'UANA', reaction: 'eyes', item: { type: 'message', channel: 'CGENERAL', ts: '1700000000.000100' } });

interface Raw {
  socket: Socket;
  /** The status line's code once answered, or 'closed' when the connection ended without one. */
  status: Promise<string>;
  /** The response head as received so far. */
  head(): string;
}

/** Open a raw request: headers now, then whatever the test writes. */
function rawRequest(headers: Record<string, string>): Raw {
  const socket = connect({ host: '127.0.0.1', port });
  let seen = '';
  const status = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(seen);
      if (m && seen.includes('\r\n\r\n')) resolve(m[1]!);
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', () => {});
  });
  const lines = ['POST /slack/events HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/json', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return { socket, status, head: () => seen.split('\r\n\r\n')[0]! };
}

const forged = (timestamp = Math.floor(Date.now() / 1000)) => ({ 'X-Slack-Signature': `v0=${'0'.repeat(64)}`, 'X-Slack-Request-Timestamp': String(timestamp) });

describe('POST /slack/events: refused before the body is read', () => {
  it.each([
    ['no Slack headers', {}],
    ['no signature', { 'X-Slack-Request-Timestamp': String(Math.floor(Date.now() / 1000)) }],
    ['no timestamp', { 'X-Slack-Signature': `v0=${'0'.repeat(64)}` }],
    ['a timestamp 6 minutes old', forged(Math.floor(Date.now() / 1000) - 360)],
    ['a timestamp 6 minutes ahead', forged(Math.floor(Date.now() / 1000) + 360)],
  ])('%s: 401 while the declared body has not been sent', async (_name, headers) => {
    // The body is declared but never sent: only an answer that does not wait for it can arrive.
    const raw = rawRequest({ ...headers, 'Content-Length': '50000' });
    expect(await raw.status).toBe('401');
    raw.socket.destroy();
  });

  it('a correctly signed event with a timestamp 6 minutes ahead is refused too (future replays)', async () => {
    const r = reaction();
    const res = await h.send(r, { timestamp: Math.floor(Date.now() / 1000) + 360 });
    expect(res.status).toBe(401);
  });

  it('a declared length over the limit: 413 before the body', async () => {
    const raw = rawRequest({ ...forged(), 'Content-Length': '100001' });
    expect(await raw.status).toBe('413');
    raw.socket.destroy();
  });
});

describe('POST /slack/events: bodies read under limits', () => {
  it('a body without a declared length is cut at the limit as it arrives: 413', async () => {
    const raw = rawRequest({ ...forged(), 'Transfer-Encoding': 'chunked' });
    const piece = Buffer.alloc(10_000, 'a');
    for (let i = 0; i < 11; i += 1) raw.socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    expect(await raw.status).toBe('413');
    raw.socket.destroy();
  });

  it('a slow body is cut off after bodyTimeoutMs (1.5 s here): 408', async () => {
    const raw = rawRequest({ ...forged(), 'Content-Length': '1000' });
    raw.socket.write('{"a":');
    expect(await raw.status).toBe('408');
    raw.socket.destroy();
  });

  it('unverified bodies in flight are capped per address: 503 with Retry-After, and a signed event still gets through afterwards', async () => {
    const held = [rawRequest({ ...forged(), 'Content-Length': '1000' }), rawRequest({ ...forged(), 'Content-Length': '1000' })];
    for (const r of held) r.socket.write('{');
    // Both are being read (the timeout has not cut them) when a third arrives from the same address.
    const third = rawRequest({ ...forged(), 'Content-Length': '1000' });
    expect(await third.status).toBe('503');
    expect(third.head()).toMatch(/^retry-after: 1$/im);
    third.socket.destroy();
    expect(await Promise.all(held.map((r) => r.status))).toEqual(['408', '408']);
    for (const r of held) r.socket.destroy();
    await vi.waitFor(async () => expect((await h.send(reaction())).status).toBe(200), { timeout: 5000, interval: 50 });
  });

  it('a forged signature on a complete body is still 401, and the budget is given back', async () => {
    const body = JSON.stringify({ type: 'event_callback' });
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(h.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...forged() }, body });
      expect(res.status).toBe(401);
    }
    const good = reaction();
    const res = await fetch(h.eventsUrl, { method: 'POST', headers: { 'content-type': good.contentType, ...signSlackRequest(SIGNING_SECRET, good.body) }, body: good.body });
    expect(res.status).toBe(200);
  });
});
