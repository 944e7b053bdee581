/**
 * Idempotency-Key for `POST /v1/post`: the Idempotency class against a real SQLite file and a real Redis
 * (two connections each, standing in for two processes), then end to end through the HTTP server and the
 * real Slack platform against the fake Slack.
 */
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpServer, type HttpServer } from '../../../adapters/http/server.js';
import { Idempotency, idempotencyKey, type IdempotencyOptions, type IdempotentResponse } from '../../../adapters/http/idempotency.js';
import { startSlack, type RunningSlack } from '../../../adapters/slack/app.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { RestyleError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { redisUrl } from '../../support/redis.js';
import { tmpDir } from '../../support/tmp.js';

type Kind = 'sqlite' | 'redis';
const KINDS: Kind[] = ['sqlite', 'redis'];

/** A store of the kind: for SQLite every call opens another connection to the same file (as another process would). */
function storeOpener(kind: Kind): { open(): Promise<Store>; closeAll(): Promise<void> } {
  const opened: Store[] = [];
  let dir: string | undefined;
  return {
    async open() {
      dir ??= tmpDir(`idem-${kind}`);
      const store = await openStore({ redisUrl: kind === 'redis' ? redisUrl() : undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 2000 });
      opened.push(store);
      return store;
    },
    async closeAll() {
      for (const s of opened.splice(0)) await s.close();
    },
  };
}

/** What a promise settled with, for asserting on many concurrent outcomes. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: RestyleError }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    if (!(error instanceof RestyleError)) throw error;
    return { ok: false, error };
  }
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The store, with each finished answer's write waiting for `until` first: a store slow (or failing) to keep it. */
function answersHeld(store: Store, until: Promise<void>): Store {
  until.catch(() => {});
  const bound = (target: object, prop: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop !== 'ns') return bound(target, prop);
      return (name: Parameters<Store['ns']>[0]) =>
        new Proxy(target.ns(name), {
          get(ns, p) {
            if (p !== 'set') return bound(ns, p);
            return async (key: string, value: { state?: string }, ttlMs?: number) => {
              if (value.state === 'done') await until;
              return ns.set(key, value, ttlMs);
            };
          },
        });
    },
  });
}

describe.each(KINDS)('Idempotency on a real %s store', (kind) => {
  const stores = storeOpener(kind);
  let scope: string;
  let shortcuts: string[];
  const idempotency = (store: Store, options: Partial<IdempotencyOptions> = {}) =>
    new Idempotency(store, { scope, logger: silentLogger(), onShortcut: (r) => shortcuts.push(r), ...options });

  beforeAll(() => {
    // Fails (never skips) when there is no Redis.
    if (kind === 'redis') expect(redisUrl()).toMatch(/^redis:\/\//);
  });
  afterEach(async () => {
    await stores.closeAll();
  });
  // A scope of its own per test: the Redis is shared by the whole run.
  const fresh = (): void => {
    scope = `/v1/post#${randomUUID()}`;
    shortcuts = [];
  };

  it('same key and body: runs once; later requests get the stored answer, replayed, in any process', async () => {
    fresh();
    const a = idempotency(await stores.open());
    const body = { channel: 'slack:C1', text: 'hello' };
    let runs = 0;
    const fn = async () => ({ status: 200, body: { run: ++runs, id: randomUUID() } });
    const first = await a.run('key-1', a.fingerprint(body), fn);
    expect(first).toMatchObject({ status: 200, replayed: false, body: { run: 1 } });
    const again = await a.run('key-1', a.fingerprint(body), fn);
    expect(again).toEqual({ status: 200, body: first.body, replayed: true });
    // Another process: another connection to the same store.
    const b = idempotency(await stores.open());
    expect(await b.run('key-1', b.fingerprint({ ...body }), fn)).toEqual({ status: 200, body: first.body, replayed: true });
    expect(runs).toBe(1);
    expect(shortcuts).toEqual(['replayed', 'replayed']);
    // Another key is another request.
    expect(await a.run('key-2', a.fingerprint(body), fn)).toMatchObject({ replayed: false, body: { run: 2 } });
  });

  it('a 202 (accepted, still being done) is not kept: the next request with the key runs again and hears how it ended', async () => {
    fresh();
    const a = idempotency(await stores.open());
    const body = { channel: 'slack:C1', text: 'later' };
    const answers = [{ status: 202, body: { queued: true, job: 'j1' } }, { status: 200, body: { ok: true, id: 'm1' } }];
    let runs = 0;
    const fn = async () => answers[runs++]!;
    expect(await a.run('key-202', a.fingerprint(body), fn)).toEqual({ status: 202, body: { queued: true, job: 'j1' }, replayed: false });
    expect(await a.run('key-202', a.fingerprint(body), fn)).toEqual({ status: 200, body: { ok: true, id: 'm1' }, replayed: false });
    // Now the answer: kept and replayed.
    expect(await a.run('key-202', a.fingerprint(body), fn)).toEqual({ status: 200, body: { ok: true, id: 'm1' }, replayed: true });
    expect(runs).toBe(2);
  });

  it('same key with another body: 422 idempotency_mismatch, while running and after; the answer is kept', async () => {
    fresh();
    const idem = idempotency(await stores.open());
    const gate = deferred();
    const started = deferred();
    let runs = 0;
    const running = idem.run('key-m', idem.fingerprint({ text: 'one' }), async () => {
      runs += 1;
      started.resolve();
      await gate.promise;
      return { status: 200, body: { text: 'one' } };
    });
    await started.promise;
    const during = await settle(idem.run('key-m', idem.fingerprint({ text: 'two' }), async () => ({ status: 200, body: 'never' })));
    expect(during.ok).toBe(false);
    if (!during.ok) expect(during.error).toMatchObject({ code: 'idempotency_mismatch', details: { status: 422 } });
    gate.resolve();
    expect((await running).replayed).toBe(false);
    const after = await settle(idem.run('key-m', idem.fingerprint({ text: 'two' }), async () => ({ status: 200, body: 'never' })));
    expect(after.ok).toBe(false);
    if (!after.ok) {
      expect(after.error.code).toBe('idempotency_mismatch');
      expect(after.error.message).toMatch(/^Idempotency-Key: this key was used with a different request body/);
    }
    expect(await idem.run('key-m', idem.fingerprint({ text: 'one' }), async () => ({ status: 200, body: 'never' }))).toEqual({ status: 200, body: { text: 'one' }, replayed: true });
    expect(runs).toBe(1);
    expect(shortcuts).toEqual(['mismatch', 'mismatch', 'replayed']);
  });

  it('concurrent requests with one key, from two processes: exactly one runs; the others get 409 or its answer', async () => {
    fresh();
    const procs = [idempotency(await stores.open()), idempotency(await stores.open())];
    const fp = procs[0]!.fingerprint({ text: 'race' });
    let runs = 0;
    const fn = async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 50)); // the work takes a while, as a post does
      return { status: 200, body: { winner: randomUUID() } };
    };
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => settle(procs[i % 2]!.run('key-race', fp, fn))));
    expect(runs).toBe(1);
    const answers = outcomes.filter((o): o is { ok: true; value: IdempotentResponse } => o.ok).map((o) => o.value);
    const refused = outcomes.filter((o) => !o.ok).map((o) => (o as { error: RestyleError }).error);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    const winner = answers.find((a) => !a.replayed)!.body;
    for (const a of answers) expect(a.body).toEqual(winner);
    for (const e of refused) expect(e).toMatchObject({ code: 'idempotency_in_progress', retryable: true, details: { status: 409 } });
    expect(answers.length + refused.length).toBe(40);
    expect(refused.length).toBeGreaterThan(0); // they really overlapped the run
    expect(shortcuts.filter((s) => s === 'in_progress')).toHaveLength(refused.length);
    // Once it finished, every retry gets the answer.
    expect(await procs[1]!.run('key-race', fp, fn)).toEqual({ status: 200, body: winner, replayed: true });
    expect(runs).toBe(1);
  });

  it('a failed run gives the key back: requests during it get 409, a retry after it runs again', async () => {
    fresh();
    const idem = idempotency(await stores.open());
    const fp = idem.fingerprint({ text: 'flaky' });
    const gate = deferred();
    const started = deferred();
    let runs = 0;
    const failing = idem.run('key-f', fp, async () => {
      runs += 1;
      started.resolve();
      await gate.promise;
      throw new RestyleError('platform_unavailable', 'Slack did not take the post: HTTP 503', { retryable: true });
    });
    await started.promise;
    const during = await settle(idem.run('key-f', fp, async () => ({ status: 200, body: 'too early' })));
    expect(during.ok ? 'ran' : during.error.code).toBe('idempotency_in_progress');
    gate.resolve();
    await expect(failing).rejects.toMatchObject({ code: 'platform_unavailable' });
    const retry = await idem.run('key-f', fp, async () => ({ status: 200, body: { run: ++runs } }));
    expect(retry).toEqual({ status: 200, body: { run: 2 }, replayed: false });
    expect(await idem.run('key-f', fp, async () => ({ status: 200, body: { run: ++runs } }))).toEqual({ status: 200, body: { run: 2 }, replayed: true });
    expect(runs).toBe(2);
  });

  it('answers while the key is written; until the write lands the key is busy (409), never run again', async () => {
    fresh();
    const store = await stores.open();
    const write = deferred();
    const warned: string[] = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, msg?: string) => void warned.push(String(msg)) } as unknown as IdempotencyOptions['logger'];
    const idem = idempotency(answersHeld(store, write.promise), { logger });
    const fp = idem.fingerprint({ text: 'early' });
    let runs = 0;
    const fn = async () => ({ status: 200, body: { run: ++runs } });
    // Its answer is not written yet: the caller has it all the same.
    expect(await idem.run('key-k', fp, fn)).toEqual({ status: 200, body: { run: 1 }, replayed: false });
    const other = idempotency(await stores.open());
    const early = await settle(other.run('key-k', fp, fn));
    expect(early.ok ? 'ran' : early.error.code).toBe('idempotency_in_progress');
    write.resolve();
    await vi.waitFor(async () => expect(await other.run('key-k', fp, fn)).toEqual({ status: 200, body: { run: 1 }, replayed: true }));
    expect(runs).toBe(1);
    expect(warned).toEqual([]);
  });

  it('an answer the store could not keep is warned about; the key stays busy (409) and is not run again', async () => {
    fresh();
    const store = await stores.open();
    const warned: string[] = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, msg?: string) => void warned.push(String(msg)) } as unknown as IdempotencyOptions['logger'];
    const idem = idempotency(answersHeld(store, Promise.reject(new Error('disk full'))), { logger });
    const fp = idem.fingerprint({ text: 'unkept' });
    let runs = 0;
    const fn = async () => ({ status: 200, body: { run: ++runs } });
    expect(await idem.run('key-u', fp, fn)).toEqual({ status: 200, body: { run: 1 }, replayed: false });
    await vi.waitFor(() => expect(warned).toEqual([expect.stringContaining('could not store the answer')]));
    const again = await settle(idempotency(await stores.open()).run('key-u', fp, fn));
    expect(again.ok ? 'ran' : again.error.code).toBe('idempotency_in_progress');
    expect(runs).toBe(1);
  });

  it('a runner that died holds its key only for lockTtlMs', async () => {
    fresh();
    const crashed = idempotency(await stores.open(), { lockTtlMs: 300 });
    const fp = crashed.fingerprint({ text: 'crash' });
    const started = deferred();
    // Never settles: the process "died" mid-request.
    void crashed.run('key-c', fp, () => {
      started.resolve();
      return new Promise<never>(() => {});
    });
    await started.promise;
    const other = idempotency(await stores.open());
    const early = await settle(other.run('key-c', fp, async () => ({ status: 200, body: 'early' })));
    expect(early.ok ? 'ran' : early.error.code).toBe('idempotency_in_progress');
    const deadline = Date.now() + 5_000;
    let outcome = early;
    while (!outcome.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50)); // poll interval
      outcome = await settle(other.run('key-c', fp, async () => ({ status: 200, body: 'after the lock' })));
    }
    expect(outcome).toEqual({ ok: true, value: { status: 200, body: 'after the lock', replayed: false } });
  });

  it('the order of keys in the body does not matter; values, nesting and the scope do', async () => {
    fresh();
    const idem = idempotency(await stores.open());
    const a = { channel: 'slack:C1', text: 'hi', params: { tone: 'calm', mood: 'dry' } };
    const b = { params: { mood: 'dry', tone: 'calm' }, text: 'hi', channel: 'slack:C1' };
    expect(idem.fingerprint(b)).toBe(idem.fingerprint(a));
    expect(idem.fingerprint({ ...a, params: { tone: 'calm', mood: 'wet' } })).not.toBe(idem.fingerprint(a));
    expect(idem.fingerprint({ ...a, thread: undefined })).toBe(idem.fingerprint(a));
    expect(idem.fingerprint({ ...a, text: ['hi'] })).not.toBe(idem.fingerprint(a));
    expect(new Idempotency(await stores.open(), { scope: `${scope}/other` }).fingerprint(a)).not.toBe(idem.fingerprint(a));
    let runs = 0;
    const first = await idem.run('key-o', idem.fingerprint(a), async () => ({ status: 200, body: { run: ++runs } }));
    expect(await idem.run('key-o', idem.fingerprint(b), async () => ({ status: 200, body: { run: ++runs } }))).toEqual({ ...first, replayed: true });
    // The same key under another route is another request.
    const other = new Idempotency(await stores.open(), { scope: `${scope}/other` });
    expect(await other.run('key-o', other.fingerprint(a), async () => ({ status: 200, body: { run: ++runs } }))).toMatchObject({ replayed: false, body: { run: 2 } });
  });
});

describe('the Idempotency-Key header', () => {
  const req = (value: string | string[] | undefined) => ({ headers: value === undefined ? {} : { 'idempotency-key': value } }) as unknown as IncomingMessage;

  it('absent is undefined; a printable ASCII key is trimmed and kept', () => {
    expect(idempotencyKey(req(undefined))).toBeUndefined();
    expect(idempotencyKey(req('  3f0c9a2e-1b7d-4c8e-9a51-0d6c2f1e7b44 '))).toBe('3f0c9a2e-1b7d-4c8e-9a51-0d6c2f1e7b44');
    expect(idempotencyKey(req('a'.repeat(255)))).toBe('a'.repeat(255));
  });

  it('empty, too long or not printable ASCII: 400 input_invalid naming the header', () => {
    for (const bad of ['', '   ', 'a'.repeat(256), 'clé', 'tab\there', 'new\nline']) {
      let error: unknown;
      try {
        idempotencyKey(req(bad));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(bad)).toMatchObject({ code: 'input_invalid', details: { status: 400, field: 'Idempotency-Key' } });
      expect((error as Error).message).toMatch(/^Idempotency-Key: 1 to 255 printable ASCII characters/);
    }
  });
});

describe.each(KINDS)('POST /v1/post with Idempotency-Key, %s store', (kind) => {
  const MODEL_MS = 100;
  const stores = storeOpener(kind);
  let model: FakeOpenAI;
  let slack: FakeSlack;
  let ctx: AppContext;
  let http: HttpServer;
  let running: RunningSlack;
  let base: string;

  beforeAll(async () => {
    model = await startFakeOpenAI();
    model.setLatency(MODEL_MS);
    slack = await startFakeSlack();
    const settings = settingsFrom(
      { styles: { loud: { model: 'loud-1', prompt: 'Say it {{x}} and {{y}}:', params: { x: '0', y: '0' } } }, channels: { 'slack:CIDEM': 'loud' }, llm: { concurrency: 64 }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
      { OPENAI_API_KEY: 'sk-idem', OPENAI_BASE_URL: model.url, SLACK_BOT_TOKEN: 'xoxb-idem-0123456789', SLACK_SIGNING_SECRET: 'idem-signing-secret', SLACK_API_URL: slack.url },
    );
    ctx = await createContext(settings, { store: await stores.open(), logger: silentLogger(), registry: 'off' });
    http = createHttpServer({ ctx });
    running = await startSlack({ ctx, http, clientOptions: { retryConfig: { retries: 0 } } });
    http.addPoster('slack', running.post.bind(running));
    base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await http?.close();
    await running?.stop();
    await ctx?.close();
    await stores.closeAll();
    await slack?.close();
    await model?.close();
  });

  const post = async (body: unknown, key?: string) => {
    const res = await fetch(`${base}/v1/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), json: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };
  const posted = (text: string) => slack.messages('CIDEM').filter((m) => m.text.includes(text));
  const metric = async (labels: string): Promise<number> => {
    const line = (await (await fetch(`${base}/metrics`)).text()).split('\n').find((l) => l.startsWith(`restyle_idempotency_total{${labels}} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('50 concurrent requests with one key: exactly one message; the rest 409 or the same answer', async () => {
    const key = randomUUID();
    const text = `fifty at once ${key}`;
    const inProgressBefore = await metric('result="in_progress"');
    const replayedBefore = await metric('result="replayed"');
    const results = await Promise.all(Array.from({ length: 50 }, () => post({ channel: 'slack:CIDEM', text }, key)));
    expect(posted(text.toUpperCase())).toHaveLength(1);
    expect(model.requests.filter((r) => String(r.body?.messages?.[1]?.content) === text)).toHaveLength(1);
    const ok = results.filter((r) => r.status === 200);
    const busy = results.filter((r) => r.status === 409);
    expect(ok.length + busy.length).toBe(50);
    expect(ok.filter((r) => r.replayed === null)).toHaveLength(1);
    expect(ok.filter((r) => r.replayed !== null).every((r) => r.replayed === 'true')).toBe(true);
    const [message] = posted(text.toUpperCase());
    for (const r of ok) expect(r.json).toMatchObject({ ok: true, id: message!.ts, text: text.toUpperCase(), styled: true });
    for (const r of busy) expect(r.json.error).toMatchObject({ code: 'idempotency_in_progress', message: expect.stringMatching(/still running/) });
    expect(busy.length).toBeGreaterThan(0);
    // Later retries all get the answer, marked replayed; nothing more is posted.
    const late = await Promise.all(Array.from({ length: 5 }, () => post({ channel: 'slack:CIDEM', text }, key)));
    for (const r of late) {
      expect(r.status).toBe(200);
      expect(r.replayed).toBe('true');
      expect(r.json).toEqual(ok[0]!.json);
    }
    expect(posted(text.toUpperCase())).toHaveLength(1);
    expect(await metric('result="in_progress"')).toBe(inProgressBefore + busy.length);
    expect(await metric('result="replayed"')).toBe(replayedBefore + ok.length - 1 + late.length);
  });

  it('the same key with another body: 422 idempotency_mismatch, nothing posted', async () => {
    const key = randomUUID();
    const first = await post({ channel: 'slack:CIDEM', text: `first body ${key}` }, key);
    expect(first.status).toBe(200);
    const other = await post({ channel: 'slack:CIDEM', text: `second body ${key}` }, key);
    expect(other.status).toBe(422);
    expect(other.json.error).toMatchObject({ code: 'idempotency_mismatch', message: expect.stringMatching(/different request body/) });
    expect(posted(`SECOND BODY ${key.toUpperCase()}`)).toHaveLength(0);
    const elsewhere = await post({ channel: 'slack:COTHER', text: `first body ${key}` }, key);
    expect(elsewhere.status).toBe(422);
  });

  it('a failed post gives the key back: the retry with the same key posts, then replays', async () => {
    const key = randomUUID();
    const text = `retry me ${key}`;
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    const failed = await post({ channel: 'slack:CIDEM', text }, key);
    expect(failed.status).toBe(422);
    expect(failed.json.error?.code).toBe('platform_refused');
    expect(posted(text.toUpperCase())).toHaveLength(0);
    const retry = await post({ channel: 'slack:CIDEM', text }, key);
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBeNull();
    expect(posted(text.toUpperCase())).toHaveLength(1);
    const again = await post({ channel: 'slack:CIDEM', text }, key);
    expect(again).toMatchObject({ status: 200, replayed: 'true', json: retry.json });
    expect(posted(text.toUpperCase())).toHaveLength(1);
  });

  it('the order of keys in the JSON body does not matter', async () => {
    const key = randomUUID();
    const text = `ordered ${key}`;
    const a = await post(`{"channel":"slack:CIDEM","text":${JSON.stringify(text)},"params":{"x":"1","y":"2"}}`, key);
    expect(a.status).toBe(200);
    const b = await post(`{"params":{"y":"2","x":"1"},"text":${JSON.stringify(text)},"channel":"slack:CIDEM"}`, key);
    expect(b).toMatchObject({ status: 200, replayed: 'true', json: a.json });
    expect(posted(text.toUpperCase())).toHaveLength(1);
  });

  it('a malformed Idempotency-Key is a 400 naming the header; nothing is styled or posted', async () => {
    const before = model.requests.length;
    for (const bad of ['', '   ', 'k'.repeat(256), 'clé-à-molette']) {
      const r = await post({ channel: 'slack:CIDEM', text: `bad key ${bad.length}` }, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.json.error).toMatchObject({ code: 'input_invalid', message: expect.stringMatching(/^Idempotency-Key: /) });
    }
    expect(model.requests.length).toBe(before);
    expect(slack.messages('CIDEM').filter((m) => m.text.startsWith('BAD KEY'))).toHaveLength(0);
  });

  it('without a key every request posts', async () => {
    const text = `no key ${randomUUID()}`;
    const [a, b] = await Promise.all([post({ channel: 'slack:CIDEM', text }), post({ channel: 'slack:CIDEM', text })]);
    expect([a!.status, b!.status]).toEqual([200, 200]);
    expect(a!.json.id).not.toBe(b!.json.id);
    expect(posted(text.toUpperCase())).toHaveLength(2);
  });
});
