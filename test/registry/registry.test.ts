import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { settingsFrom, type Settings } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { promptHash } from '../../src/restyle/messages.js';
import { applyRegistry, startRegistrySync } from '../../src/registry/apply.js';
import { ModelRegistry } from '../../src/registry/registry.js';
import type { NewEntry } from '../../src/registry/types.js';
import { endpointFor } from '../../src/registry/endpoints.js';
import { verifierFor } from '../../src/registry/verify.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { RestyleError } from '../../src/errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { runInProcess } from '../support/cli.js';
import { redisUrl } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { writeCorpus } from '../training/corpus.js';

let fake: FakeOpenAI;
let other: FakeOpenAI;
const stores: Store[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  other = await startFakeOpenAI({ apiKey: 'sk-vllm', models: ['pirate-styler'] });
});
afterAll(async () => {
  await fake.close();
  await other.close();
});
beforeEach(() => {
  fake.reset();
  other.reset();
  fake.models.add('ft:pirate:v1');
  fake.models.add('ft:pirate:v2');
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

// Unique style names: the shared Redis outlives each test.
const uid = () => `p${process.pid}${Math.random().toString(36).slice(2, 8)}`;

function settingsWith(style: string, kind: 'sqlite' | 'redis', extra: Record<string, string> = {}): Settings {
  const dir = tmpDir('registry');
  return settingsFrom({ styles: { [style]: { model: 'gpt-4.1-mini' } } }, { OPENAI_API_KEY: 'sk-main', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: dir, ...(kind === 'redis' ? { REDIS_URL: redisUrl() } : {}), ...extra }, dir);
}

async function open(settings: Settings): Promise<Store> {
  const store = await openStore(settings.store);
  stores.push(store);
  return store;
}

function entry(style: string, model: string, baseUrl = fake.url, apiKeyEnv = 'OPENAI_API_KEY'): NewEntry {
  return { style, role: 'styler', model, baseUrl, apiKeyEnv, promptHash: 'p1', promptHashFrom: 'config', source: 'manual' };
}

describe.each(['sqlite', 'redis'] as const)('model registry on %s', (kind) => {
  it('add, list, use, rollback — and rollback ends at the config model', async () => {
    const style = uid();
    const settings = settingsWith(style, kind);
    const store = await open(settings);
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    const registry = new ModelRegistry(store, verifierFor(settings, pool));

    const a = await registry.add(entry(style, 'ft:pirate:v1'), { use: true });
    expect(a).toMatchObject({ added: true, activated: true, entry: { id: 1, model: 'ft:pirate:v1' } });
    const b = await registry.add(entry(style, 'ft:pirate:v2'), { use: true });
    expect(b.entry.id).toBe(2);
    expect((await registry.active(style, 'styler'))!.model).toBe('ft:pirate:v2');
    // The same model again is not a new entry.
    expect(await registry.add(entry(style, 'ft:pirate:v2'))).toMatchObject({ added: false, activated: false, entry: { id: 2 } });

    expect((await registry.use(style, 'styler', '#1')).model).toBe('ft:pirate:v1');
    expect((await registry.use(style, 'styler', 'ft:pirate:v2')).id).toBe(2);
    // A value that is not a registry record (hand-written, another tool's) is skipped, not a crash.
    const stray = `${style}-stray`;
    await store.ns('models').set(stray, 'not a record');
    expect((await registry.list()).some((r) => typeof r !== 'object')).toBe(false);
    await store.ns('models').delete(stray);
    const listed = (await registry.list()).filter((r) => r.style === style);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ active: 2, history: [null, 1, 2, 1] });

    expect(await registry.rollback(style, 'styler')).toMatchObject({ from: { id: 2 }, to: { id: 1 } });
    expect(await registry.rollback(style, 'styler')).toMatchObject({ from: { id: 1 }, to: { id: 2 } });
    expect(await registry.rollback(style, 'styler')).toMatchObject({ from: { id: 2 }, to: { id: 1 } });
    expect(await registry.rollback(style, 'styler')).toMatchObject({ from: { id: 1 }, to: null });
    expect(await registry.active(style, 'styler')).toBeNull();
    await expect(registry.rollback(style, 'styler')).rejects.toThrow(/nothing to roll back to/);
  });

  it('nothing half-registers: a model the endpoint does not serve leaves the registry untouched', async () => {
    const style = uid();
    const settings = settingsWith(style, kind);
    const store = await open(settings);
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    const registry = new ModelRegistry(store, verifierFor(settings, pool));
    await registry.add(entry(style, 'ft:pirate:v1'), { use: true });
    const before = await registry.get(style, 'styler');
    const error = await registry.add(entry(style, 'ft:pirate:typo'), { use: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestyleError);
    expect((error as RestyleError).code).toBe('model_not_found');
    expect((error as RestyleError).message).toMatch(/model "ft:pirate:typo" is not served at .*; nothing was registered/);
    expect(await registry.get(style, 'styler')).toEqual(before);
    // use re-checks too: a model that has gone away is not switched to.
    fake.models.delete('ft:pirate:v1');
    await registry.add(entry(style, 'ft:pirate:v2'), { use: true });
    await expect(registry.use(style, 'styler', '#1')).rejects.toMatchObject({ code: 'model_not_found' });
    expect((await registry.active(style, 'styler'))!.id).toBe(2);
    await expect(registry.use(style, 'styler', '#7')).rejects.toThrow(/no registered model "#7"; registered: #1 ft:pirate:v1, #2 ft:pirate:v2/);
  });

  it('concurrent writers from two connections lose nothing', async () => {
    const style = uid();
    const settings = settingsWith(style, kind);
    const [s1, s2] = [await open(settings), await open(settings)];
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    const models = Array.from({ length: 6 }, (_, i) => `ft:pirate:c${i}`);
    for (const m of models) fake.models.add(m);
    const regs = [new ModelRegistry(s1, verifierFor(settings, pool)), new ModelRegistry(s2, verifierFor(settings, pool))];
    await Promise.all(models.map((m, i) => regs[i % 2]!.add(entry(style, m), { use: true })));
    const record = await regs[0]!.get(style, 'styler');
    expect(record.entries.map((e) => e.model).sort()).toEqual([...models].sort());
    expect(record.entries.map((e) => e.id).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(record.history).toHaveLength(6);
  });

  it("the active entry overrides the config's model at run time, endpoint and key included", async () => {
    const style = uid();
    const settings = settingsWith(style, kind, { VLLM_KEY: 'sk-vllm' });
    const store = await open(settings);
    const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
    const env = { VLLM_KEY: 'sk-vllm' };
    const registry = new ModelRegistry(store, verifierFor(settings, pool, env));
    const restyler = new Restyler({ settings, store, llm: pool });
    const modelOf = (f: FakeOpenAI) => f.requestsTo('/chat/completions').at(-1)?.body.model;

    await restyler.restyle('Hello there.', { style, cache: false });
    expect(modelOf(fake)).toBe('gpt-4.1-mini');

    await registry.add({ ...entry(style, 'pirate-styler', other.url, 'VLLM_KEY') }, { use: true });
    expect(await applyRegistry(settings, store, { env })).toMatchObject([{ style, role: 'styler', configured: 'gpt-4.1-mini', entry: { model: 'pirate-styler' } }]);
    await restyler.restyle('Hello again.', { style, cache: false });
    expect(modelOf(other)).toBe('pirate-styler');
    expect(other.requestsTo('/chat/completions').at(-1)!.headers.authorization).toBe('Bearer sk-vllm');

    // A running process picks up a rollback without a restart.
    const fresh = settingsWith(style, kind);
    fresh.store = settings.store;
    const stop = await startRegistrySync(fresh, store, { intervalMs: 20, env });
    try {
      expect(fresh.styles[style]!.model).toBe('pirate-styler');
      await registry.rollback(style, 'styler');
      await vi.waitFor(() => expect(fresh.styles[style]!.model).toBe('gpt-4.1-mini'));
      expect(fresh.styles[style]!.endpoint.baseUrl).toBe(fake.url);
    } finally {
      stop();
    }
  });
});

describe('restyle models (CLI)', () => {
  let cwd: string;
  const env = () => ({ OPENAI_API_KEY: 'sk-main', OPENAI_BASE_URL: fake.url, RESTYLE_DATA_DIR: join(cwd, 'data'), VLLM_KEY: 'sk-vllm' });
  const run = (args: string[]) => runInProcess(args, { env: env(), cwd });
  beforeEach(() => {
    cwd = tmpDir('models');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: gpt-4.1-mini\n');
  });

  it('models list where there is no store yet says it made a new, empty one (run from another folder?), once', async () => {
    const first = await run(['models', 'list']);
    expect(first.stdout).toContain('no models registered');
    expect(first.stderr).toContain('note: no store at data/restyle.sqlite yet: made a new, empty one (RESTYLE_DATA_DIR, default data/ in the folder restyle runs from)');
    expect((await run(['models', 'list'])).stderr).not.toContain('note: no store');
  });

  it('add → list → use → rollback, with one-line errors for bad input', async () => {
    const missing = await run(['models', 'add', 'pirate', '--model', 'ft:nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^restyle: model "ft:nope" is not served at http:\/\/127\.0\.0\.1:\d+\/v1; nothing was registered$/);
    expect((await run(['models', 'list'])).stdout).toContain('no models registered');

    const add = await run(['models', 'add', 'pirate', '--model', 'ft:pirate:v1']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout.trim()).toBe(`registered pirate styler #1: ft:pirate:v1 at ${fake.url} (now in use)`);
    const add2 = await run(['models', 'add', 'pirate', '--model', 'pirate-styler', '--base-url', other.url, '--api-key-env', 'VLLM_KEY', '--no-use']);
    expect(add2.code, add2.stderr).toBe(0);
    expect(add2.stdout.trim()).toBe(`registered pirate styler #2: pirate-styler at ${other.url}`);

    const list = await run(['models', 'list']);
    expect(list.stdout).toMatch(/^pirate styler\n {2}\* #1 {2}ft:pirate:v1 {2}base \? {2}http:\S+ {2}prompt [0-9a-f]{16} ✓/);
    expect(list.stdout).toMatch(/\n {4}#2 {2}pirate-styler /);

    const use = await run(['models', 'use', 'pirate', '#2']);
    expect(use.stdout.trim()).toBe('pirate styler now uses #2: pirate-styler');
    const back = await run(['models', 'rollback', 'pirate']);
    expect(back.stdout.trim()).toBe('pirate styler: #2 pirate-styler → #1 ft:pirate:v1');
    const toConfig = await run(['models', 'rollback', 'pirate']);
    expect(toConfig.stdout.trim()).toBe("pirate styler: #1 ft:pirate:v1 → the config's model gpt-4.1-mini");
    const none = await run(['models', 'rollback', 'pirate']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe('restyle: pirate styler: nothing to roll back to (no earlier model was in use)');

    const bad = await run(['models', 'use', 'pirate', '#9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('restyle: pirate styler: no registered model "#9"; registered: #1 ft:pirate:v1, #2 pirate-styler');
    const unknownUrl = await run(['models', 'add', 'pirate', '--model', 'x', '--base-url', 'http://127.0.0.1:9/v1']);
    expect(unknownUrl.code).toBe(2);
    expect(unknownUrl.stderr).toMatch(/is not an endpoint in the config: pass --api-key-env VAR/);
    const unknownStyle = await run(['models', 'add', 'ghost', '--model', 'ft:pirate:v1']);
    expect(unknownStyle.stderr.trim()).toBe('restyle: unknown style "ghost"; known styles: pirate');    // What a shell leaves of `models use pirate #2` (the rest is a comment): a hint, not "missing argument".
    const swallowed = await run(['models', 'use', 'pirate']);
    expect(swallowed.code).toBe(2);
    expect(swallowed.stderr.trim()).toBe('restyle: which model? restyle models use pirate 2 (the number from restyle models list; an unquoted #2 is a comment to the shell)');
    for (const ref of ['1', 'v2', '#1']) expect((await run(['models', 'use', 'pirate', ref])).code, ref).toBe(0);
    expect((await run(['models', 'use', 'pirate', '2'])).stdout.trim()).toBe('pirate styler now uses #2: pirate-styler');
  });

  it('restyle text styles with the model in use: the registered one, then the config one after rollback', async () => {
    const chats = () => fake.requestsTo('/chat/completions').map((r) => r.body.model);
    expect((await run(['models', 'add', 'pirate', '--model', 'ft:pirate:v1'])).code).toBe(0);
    const styled = await run(['text', '--style', 'pirate', 'Hello there, friend.']);
    expect(styled.code, styled.stderr).toBe(0);
    expect(chats()).toEqual(['ft:pirate:v1']);
    expect((await run(['models', 'rollback', 'pirate'])).code).toBe(0);
    expect((await run(['text', '--style', 'pirate', 'Hello again, friend.'])).code).toBe(0);
    expect(chats()).toEqual(['ft:pirate:v1', 'gpt-4.1-mini']);
  });

  it('--data records what the model was trained on', async () => {
    writeCorpus(join(cwd, 'corpus'));
    const r = await run(['models', 'add', 'pirate', '--model', 'ft:pirate:v1', '--data', 'corpus', '--base-model', 'gpt-4.1-mini-2025-04-14']);
    expect(r.code, r.stderr).toBe(0);
    const [record] = JSON.parse((await run(['models', 'list', '--json'])).stdout);
    expect(record.entries[0]).toMatchObject({ promptHashFrom: 'data', baseModel: 'gpt-4.1-mini-2025-04-14', promptHash: promptHash('Please, rewrite the provided text in your style:') });
    expect(record.entries[0].dataHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('doctor warns when the prompt changed since the model was trained', async () => {
    await run(['models', 'add', 'pirate', '--model', 'ft:pirate:v1']);
    const ok = await run(['doctor']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/✓ style pirate: styler #1 ft:pirate:v1 \(registry, in use\): prompt matches the one it was trained with \([0-9a-f]{16}\)/);

    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate:\n    model: gpt-4.1-mini\n    prompt: "Rewrite this like a pirate:"\n');
    const warned = await run(['doctor']);
    const old = promptHash('Please, rewrite the provided text in your style:');
    const now = promptHash('Rewrite this like a pirate:');
    expect(warned.stdout).toContain(`! style pirate: styler #1 ft:pirate:v1 (registry, in use) was trained with prompt ${old} but styles.pirate.prompt is now ${now}: the prompt must literally match the training prompt — restore it or retrain`);
    expect(warned.code).toBe(0);
    expect((await run(['doctor', '--strict'])).code).toBe(1);
  });
});

describe('endpointFor', () => {
  it('reads a registry-only endpoint key from the environment as settings read every value: spaces and one pair of quotes dropped', () => {
    const settings = settingsFrom({ styles: { pirate: { model: 'm' } } }, { OPENAI_API_KEY: 'sk-default' });
    expect(endpointFor(settings, 'http://127.0.0.1:9/v1/', 'VLLM_KEY', { VLLM_KEY: ' "vllm-secret" ' })).toEqual({ baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'VLLM_KEY', apiKey: 'vllm-secret' });
    expect(endpointFor(settings, 'http://127.0.0.1:9/v1', 'VLLM_KEY', {}).apiKey).toBeUndefined();
  });
});
