import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore, redactRedisUrl } from '../../src/store/index.js';
import { openRedisStore, outcomeUnknown } from '../../src/store/redis.js';
import type { Store } from '../../src/store/types.js';
import { freePort } from '../support/redis-server.js';
import { startRedis } from '../support/redis.js';

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const CONNECT_TIMEOUT_MS = 800;
const settings = (url: string) => ({ redisUrl: url, dataDir: '', sqlitePath: '', connectTimeoutMs: CONNECT_TIMEOUT_MS });

async function openTracked(url: string): Promise<Store> {
  const store = await openStore(settings(url));
  open.push(store);
  return store;
}

/** Runs `call`, expecting a rejection; returns the error and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  const outcome = await call().then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ error }),
  );
  const ms = performance.now() - t0;
  if (!('error' in outcome)) throw new Error(`expected a rejection, got a resolved ${JSON.stringify(outcome.resolved)}`);
  return { error: outcome.error, ms };
}

describe('Redis store fails fast', () => {
  it('redacts the password in URLs it prints', () => {
    expect(redactRedisUrl('redis://:secret@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactRedisUrl('rediss://user:secret@host')).toBe('rediss://user:***@host');
    expect(redactRedisUrl('redis://secret@host')).toBe('redis://***@host');
    expect(redactRedisUrl('redis://host:6379')).toBe('redis://host:6379');
  });

  it('an unreachable Redis rejects within the connect timeout, naming REDIS_URL and hiding the password', async () => {
    const port = await freePort(); // nothing listens there
    const { error } = await failure(() => openStore(settings(`redis://:s3cret-pw@127.0.0.1:${port}`)));
    expect(error).toMatchObject({ name: 'RestyleError', code: 'store_unavailable', retryable: true });
    const message = (error as Error).message;
    expect(message).toContain('REDIS_URL');
    expect(message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(message).not.toContain('s3cret-pw');
    expect(message).toContain('ECONNREFUSED'); // says why, not only that it timed out
    expect(message).not.toMatch(/\n/);
  });

  it('a malformed REDIS_URL is a config error naming REDIS_URL, without the password', async () => {
    const error = await openStore(settings('redis://:s3cret-pw@127.0.0.1/not-a-db')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RestyleError', code: 'config_invalid', details: { field: 'REDIS_URL' } });
    expect((error as Error).message).toContain('REDIS_URL (redis://:***@127.0.0.1/not-a-db)');
    expect((error as Error).message).not.toContain('s3cret-pw');
  });

  it('writes reject (never pretend) while Redis is down, and succeed once it is back', async () => {
    const redis = await startRedis();
    const store = await openTracked(redis.url);
    const ns = store.ns<{ v: string }>('samples');
    await ns.set('before', { v: 'ok' });
    expect(await store.claim('held', 60_000)).toBe(true);
    await redis.stop();

    // The gotcha: with only disableOfflineQueue, this set would resolve while nothing is written.
    const { error } = await failure(() => ns.set('during', { v: 'lost?' }));
    expect(error).toMatchObject({ name: 'RestyleError', code: 'store_unavailable', retryable: true });
    expect((error as Error).message).toContain(`REDIS_URL (${redis.url})`);
    for (const call of [
      () => ns.get('before'),
      () => ns.delete('before'),
      () => store.claim('during', 1_000),
      () => store.release('held'),
      () => store.ping(),
      async () => {
        for await (const entry of ns.entries()) void entry;
      },
    ]) {
      await expect(call()).rejects.toMatchObject({ name: 'RestyleError', code: 'store_unavailable' });
    }

    await redis.start(); // an empty Redis (no persistence in tests)
    await vi.waitFor(() => ns.set('after', { v: 'ok' }), { timeout: 10_000, interval: 100 });
    expect(await ns.get('after')).toEqual({ v: 'ok' });
    expect(await ns.get('during')).toBeUndefined();
    await store.ping();
  });

  it('a hung Redis (up but not answering) fails each call within the command timeout, and recovers', async () => {
    const redis = await startRedis();
    const store = await openRedisStore({ url: redis.url, connectTimeoutMs: CONNECT_TIMEOUT_MS, commandTimeoutMs: 300 });
    open.push(store);
    const ns = store.ns<string>('cache');
    await ns.set('k', 'v');
    redis.pause();
    try {
      // The paused Redis never answers: only the 300 ms command timeout can end this call.
      const { error } = await failure(() => ns.set('k', 'v2'));
      expect(error).toMatchObject({ name: 'RestyleError', code: 'store_unavailable' });
      await expect(store.claim('hung', 1_000)).rejects.toMatchObject({ code: 'store_unavailable' });
    } finally {
      redis.resume();
    }
    await vi.waitFor(async () => expect(await ns.get('k')).toBeDefined(), { timeout: 10_000, interval: 100 });
    await ns.set('k', 'v3');
    expect(await ns.get('k')).toBe('v3');
  });

  it('closing while Redis is hung does not hang', async () => {
    const redis = await startRedis();
    // A command timeout longer than the test may run: close() returning at all shows it did not wait.
    const store = await openRedisStore({ url: redis.url, connectTimeoutMs: CONNECT_TIMEOUT_MS, commandTimeoutMs: 60_000 });
    redis.pause();
    const pending = store.ns<string>('cache').set('k', 'v'); // written, never answered: close() would wait for it
    try {
      await store.close();
    } finally {
      redis.resume();
    }
    await pending.catch(() => undefined); // either outcome is fine; it must not be left unhandled
    await expect(store.ping()).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});

/** The arguments of each whole RESP command in `buf`, and what is left of it. */
function takeCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  for (;;) {
    const m = /^\*(\d+)\r\n/.exec(buf);
    if (!m) return { commands, rest: buf };
    let at = m[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(m[1]); i++) {
      const len = /^\$(\d+)\r\n/.exec(buf.slice(at));
      if (!len || buf.length < at + len[0].length + Number(len[1]) + 2) return { commands, rest: buf };
      at += len[0].length;
      args.push(buf.slice(at, at + Number(len[1])));
      at += Number(len[1]) + 2;
    }
    commands.push(args);
    buf = buf.slice(at);
  }
}

describe('Redis write outcomes', () => {
  // A server that answers +OK to everything and resets the connection when a SET arrives: as Redis dying
  // under a sent write looks to the client (the reset in the redis-restart chaos test).
  it('a write cut off by a reset connection may have landed; one never sent, or a refused connect, did not', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      let buf = '';
      socket.on('data', (chunk) => {
        const { commands, rest } = takeCommands(buf + chunk.toString('latin1'));
        buf = rest;
        for (const args of commands) {
          if (args[0]?.toUpperCase() === 'SET') return void socket.resetAndDestroy();
          socket.write('+OK\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      expect(await client.ping()).toBe('OK');
      const cut = await client.set('k', 'v').then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
      expect(cut?.code).toBe('ECONNRESET');
      expect(outcomeUnknown(cut)).toBe(true);
      const unsent = await client.set('k', 'v').then(() => undefined, (e: unknown) => e as Error);
      expect(unsent).toBeInstanceOf(Error);
      expect(outcomeUnknown(unsent)).toBe(false);
    } finally {
      if (client.isOpen) client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    const refused = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
    refused.on('error', () => {});
    const error = await refused.connect().then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
    expect(error?.syscall).toBe('connect');
    expect(outcomeUnknown(error)).toBe(false);
  });
});

