import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SampleRepository } from '../../src/samples/repository.js';
import type { Sample } from '../../src/samples/types.js';
import { openRedisStore } from '../../src/store/redis.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { SampleIndexOpen, Store } from '../../src/store/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';
import { runInProcess } from '../support/cli.js';
import { startRedis } from '../support/redis.js';
import { oldSample, writeUnindexed } from '../support/unindexed-store.js';

let fake: FakeOpenAI;
let cwd: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.models.add('ft:pirate');
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  cwd = tmpDir('doctor');
  mkdirSync(join(cwd, 'config'));
});

function config(yaml: string): void {
  writeFileSync(join(cwd, 'config/restyle.yaml'), yaml);
}

describe('restyle doctor', () => {
  it('all good: ✓ lines and exit 0', async () => {
    config('styles:\n  pirate:\n    model: ft:pirate\n');
    const r = await runInProcess(['doctor'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
    expect(r.stdout).toContain('✓ config: config/restyle.yaml: 1 style(s)');
    expect(r.stdout).toMatch(/✓ store: sqlite at .*restyle\.sqlite/);
    expect(r.stdout).toContain('✓ style pirate: model ft:pirate exists');
    expect(r.code).toBe(0);
  });

  it('a missing model, a missing key and an unreachable endpoint are ✗ with exit 1', async () => {
    config('styles:\n  pirate:\n    model: ft:pirate\n  ghost:\n    model: ft:ghost\n  far:\n    model: m\n    baseUrl: http://127.0.0.1:9/v1\n    apiKeyEnv: FAR_KEY\n  keyless:\n    model: m\n    baseUrl: http://127.0.0.1:9/v2\n    apiKeyEnv: NO_SUCH_KEY\n');
    const r = await runInProcess(['doctor'], {
      env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url, FAR_KEY: 'k' },
      cwd,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ style ghost: model ft:ghost not found at');
    expect(r.stdout).toContain('✗ api key: NO_SUCH_KEY is not set');
    expect(r.stdout).toMatch(/✗ endpoint: http:\/\/127\.0\.0\.1:9\/v1: /);
    // The endpoint is named once, not twice.
    expect(r.stdout.split('\n').find((l) => l.startsWith('✗ endpoint:'))!.split('http://127.0.0.1:9/v1')).toHaveLength(2);
    expect(r.stdout).not.toContain('sk-x');
  });

  it('an unreachable Redis is ✗ naming REDIS_URL', async () => {
    config('styles: {}\n');
    const r = await runInProcess(['doctor'], { env: { REDIS_URL: 'redis://:hunter22@127.0.0.1:9' }, cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ store: .*REDIS_URL/);
    expect(r.stdout).not.toContain('hunter22');
    // The checks that need no store still ran.
    expect(r.stdout).toMatch(/^! config: config\/restyle\.yaml: no styles yet/m);
    expect(r.stdout).toMatch(/^! api key: OPENAI_API_KEY is not set/m);
  });

  it('with no style yet, the default endpoint is checked once there is a key: reachable ✓, unreachable ✗, one attempt', async () => {
    config('styles: {}\n');
    const good = await runInProcess(['doctor'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
    expect(good.stdout).toMatch(/^✓ endpoint: http:\/\/127\.0\.0\.1:\d+\/v1 reachable/m);
    expect(good.code).toBe(0);
    const down = await runInProcess(['doctor'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, cwd });
    expect(down.stdout).toMatch(/^✗ endpoint: http:\/\/127\.0\.0\.1:9\/v1/m);
    expect(down.code).toBe(1);
    // A server error is reported after one request, not after the client's retries.
    fake.reset();
    fake.failNext(5, { status: 500 });
    const failing = await runInProcess(['doctor'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
    expect(failing.stdout).toMatch(/^✗ endpoint: /m);
    expect(fake.requestsTo('/models')).toHaveLength(1);
    fake.reset();
    fake.models.add('ft:pirate'); // as beforeAll left it, for the tests after this one
  });

  it('no styles and no key are warnings, not all ✓', async () => {
    config('styles:\n  # pirate:\n  #   model: x\n');
    const r = await runInProcess(['doctor'], { env: {}, cwd });
    expect(r.stdout).toContain('! config: config/restyle.yaml: no styles yet, text passes through unchanged (add one under styles:)');
    expect(r.stdout).toContain('! api key: OPENAI_API_KEY is not set (needed for https://api.openai.com/v1');
    expect(r.code).toBe(0);
    expect((await runInProcess(['doctor'], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, cwd })).stdout).not.toContain('api key');
  });

  it('a style\'s params default the prompt has no {{name}} for is a warning naming it', async () => {
    config('styles:\n  pirate:\n    model: ft:pirate\n    prompt: "Rewrite it:"\n    params: {tone: playful}\n  toned:\n    model: ft:pirate\n    prompt: "Rewrite it {{tone}}:"\n    params: {tone: dry}\n');
    const r = await runInProcess(['doctor'], { env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }, cwd });
    expect(r.stdout).toContain('! style pirate: params tone: the prompt has no {{tone}}, so the value is never used');
    expect(r.stdout).not.toContain('! style toned');
  });

  it('missing config file is a warning; --strict makes it fail', async () => {
    const plain = await runInProcess(['doctor'], { env: {}, cwd });
    expect(plain.stdout).toContain('! config: config/restyle.yaml not found');
    expect(plain.code).toBe(0);
    const strict = await runInProcess(['doctor', '--strict'], { env: {}, cwd });
    expect(strict.code).toBe(1);
  });
});

/** Samples spread over statuses and channels, as an older version saved them. */
const oldSamples = (n: number): Sample[] => Array.from({ length: n }, (_, i) => oldSample(i));

/** Per status, what a full scan of `samples` counts (optionally in one channel). */
function tally(samples: readonly Sample[], channel?: string): Record<string, number> {
  const out: Record<string, number> = { pending: 0, approved: 0, rejected: 0 };
  for (const s of samples) if (channel === undefined || s.channel === channel) out[s.status]! += 1;
  return out;
}

describe.each(['sqlite', 'redis'] as const)('restyle doctor on a %s store written before the sample index', (kind) => {
  const N = 230;
  const BATCH = 40;

  async function oldStore(): Promise<{ env: Record<string, string>; open(options?: SampleIndexOpen): Promise<Store> }> {
    config('styles: {}\n');
    const env: Record<string, string> = { OPENAI_BASE_URL: fake.url };
    let where: string;
    if (kind === 'sqlite') {
      where = join(cwd, 'data', 'restyle.sqlite');
      mkdirSync(join(cwd, 'data'));
    } else {
      where = (await startRedis()).url;
      env.REDIS_URL = where;
    }
    await writeUnindexed(kind, where, oldSamples(N));
    return {
      env,
      open: (migration = {}) => (kind === 'sqlite' ? openSqliteStore(where, { migration }) : openRedisStore({ url: where, connectTimeoutMs: 2_000, migration })),
    };
  }

  async function expectCountsEqualFullScan(store: Store): Promise<void> {
    const repo = new SampleRepository(store);
    const full: Sample[] = [];
    for await (const [, s] of store.ns<Sample>('samples').entries()) full.push(s);
    expect(full).toHaveLength(N);
    expect(await repo.counts()).toEqual(tally(full));
    expect(await repo.counts({ channel: 'slack:C3' })).toEqual(tally(full, 'slack:C3'));
    expect((await repo.nextPending()).pending).toBe(tally(full).pending);
  }

  it('reports the samples as not indexed without changing anything; --fix indexes them and counts equal a full scan', async () => {
    const old = await oldStore();
    for (let i = 0; i < 2; i++) {
      const r = await runInProcess(['doctor'], { env: old.env, cwd });
      expect(r.stdout).toMatch(/! samples: .*samples written before the index are not indexed; `restyle doctor --fix` indexes them/);
      expect(r.code).toBe(0);
      expect((await runInProcess(['doctor', '--strict'], { env: old.env, cwd })).code).toBe(1);
    }
    const fixed = await runInProcess(['doctor', '--fix'], { env: old.env, cwd });
    expect(fixed.stdout).toContain(`✓ fix samples: finished indexing: ${N} samples in`);
    expect(fixed.stdout).toContain(`✓ samples: indexed (${N} samples)`);
    expect(fixed.code).toBe(0);
    expect((await runInProcess(['doctor', '--fix'], { env: old.env, cwd })).stdout).toContain('✓ fix samples: nothing to do: every sample is indexed');
    const store = await old.open({ migrate: false });
    try {
      expect(await store.sampleIndex.state()).toBe('ready');
      await expectCountsEqualFullScan(store);
    } finally {
      await store.close();
    }
  });

  it('reports an indexing interrupted half-way; --fix resumes it and counts equal a full scan', async () => {
    const old = await oldStore();
    await expect(old.open({ interruptAfterBatches: 2, batch: BATCH })).rejects.toMatchObject({ message: expect.stringMatching(/interrupted/) });
    const r = await runInProcess(['doctor'], { env: old.env, cwd });
    expect(r.stdout).toMatch(/! samples: .*indexing the samples stopped half-way; `restyle doctor --fix` resumes it/);
    const fixed = await runInProcess(['doctor', '--fix'], { env: old.env, cwd });
    expect(fixed.stdout).toContain(`✓ fix samples: resumed and finished indexing: ${N} samples in`);
    const store = await old.open({ migrate: false });
    try {
      await expectCountsEqualFullScan(store);
    } finally {
      await store.close();
    }
  });
});
