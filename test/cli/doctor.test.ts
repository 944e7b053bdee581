import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';
import { runInProcess } from '../support/cli.js';

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
  });

  it('no styles and no key are warnings, not all ✓', async () => {
    config('styles:\n  # pirate:\n  #   model: x\n');
    const r = await runInProcess(['doctor'], { env: {}, cwd });
    expect(r.stdout).toContain('! config: config/restyle.yaml: no styles yet, text passes through unchanged (add one under styles:)');
    expect(r.stdout).toContain('! api key: OPENAI_API_KEY is not set (needed for https://api.openai.com/v1');
    expect(r.code).toBe(0);
    expect((await runInProcess(['doctor'], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, cwd })).stdout).not.toContain('api key');
  });

  it('missing config file is a warning; --strict makes it fail', async () => {
    const plain = await runInProcess(['doctor'], { env: {}, cwd });
    expect(plain.stdout).toContain('! config: config/restyle.yaml not found');
    expect(plain.code).toBe(0);
    const strict = await runInProcess(['doctor', '--strict'], { env: {}, cwd });
    expect(strict.code).toBe(1);
  });
});
