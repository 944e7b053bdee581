import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../support/tmp.js';
import { runBin, runInProcess } from '../support/cli.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

let cwd: string;

const fake = useFakeOpenAI();
beforeEach(() => {
  cwd = tmpDir('cli');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(
    join(cwd, 'config/restyle.yaml'),
    'styles:\n  pirate:\n    model: ft:pirate\n  toned:\n    model: ft:toned\n    prompt: "Say it {{tone}}:"\n',
  );
  fake.reset();
  fake.setResponder((body) => `Arr! ${body.messages[1].content}`);
});

const env = () => ({ OPENAI_API_KEY: 'sk-cli-test', OPENAI_BASE_URL: fake.url });

describe('restyle text', () => {
  it('prints the restyled text', async () => {
    const r = await runInProcess(['text', '--style', 'pirate', 'Order shipped.'], { env: env(), cwd });
    expect(r).toMatchObject({ code: 0, stdout: 'Arr! Order shipped.\n', stderr: '' });
  });

  it('reads standard input and prints JSON with --json', async () => {
    const r = await runInProcess(['text', '--style', 'pirate', '--json'], { env: env(), cwd, stdin: 'From stdin.' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'Arr! From stdin.', styled: true, style: 'pirate', model: 'ft:pirate', blocks: 1 });
  });

  it('passes --param into the prompt and names a missing one (exit 2)', async () => {
    const ok = await runInProcess(['text', '--style', 'toned', '--param', 'tone=dry', 'x'], { env: env(), cwd });
    expect(ok.code).toBe(0);
    expect(fake.requests.at(-1)!.body.messages[0].content).toBe('Say it dry:');
    const missing = await runInProcess(['text', '--style', 'toned', 'x'], { env: env(), cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^restyle: missing parameter "tone"/);
  });

  it('unknown style: exit 2, one line listing the known styles', async () => {
    const r = await runInProcess(['text', '--style', 'ninja', 'x'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('restyle: unknown style "ninja"; known styles: pirate, toned\n');
  });

  it('names inherited from Object.prototype are unknown styles and channels too', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = await runInProcess(['text', '--style', name, 'x'], { env: env(), cwd });
      expect(r.code, name).toBe(2);
      expect(r.stderr).toBe(`restyle: unknown style "${name}"; known styles: pirate, toned\n`);
    }
    const channel = await runInProcess(['text', '--channel', 'constructor', 'x'], { env: env(), cwd });
    expect(channel.code).toBe(2);
    expect(channel.stderr).toMatch(/^restyle: channel "constructor" is not a channel key/);
  });

  it('missing OPENAI_API_KEY for OpenAI: exit 2 naming it', async () => {
    const r = await runInProcess(['text', '--style', 'pirate', 'x'], { env: {}, cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^restyle: OPENAI_API_KEY is not set/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('typos are errors, not silently ignored: a channel name for a key, a parameter the prompt does not use', async () => {
    const channel = await runInProcess(['text', '--channel', 'general', 'x'], { env: env(), cwd });
    expect(channel.code).toBe(2);
    expect(channel.stderr).toBe('restyle: channel "general" is not a channel key such as slack:C0123ABC or discord:112233445566778899\n');
    const param = await runInProcess(['text', '--style', 'toned', '--param', 'tone=dry', '--param', 'mood=grim', 'x'], { env: env(), cwd });
    expect(param.code).toBe(2);
    expect(param.stderr).toBe('restyle: unknown parameter "mood" for style "toned": its prompt uses {{tone}}\n');
    expect(fake.requestsTo('/chat/completions')).toHaveLength(0);
    const ok = await runInProcess(['text', '--style', 'toned', '--param', 'tone=dry', 'x'], { env: env(), cwd });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a keyless OpenAI-compatible server needs only its base URL', async () => {
    const r = await runInProcess(['text', '--style', 'pirate', '--no-cache', 'keyless please'], { env: { OPENAI_BASE_URL: fake.url }, cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
    expect(fake.requestsTo('/chat/completions').at(-1)?.headers.authorization).toBe('Bearer no-key');
  });

  it('model failure: exit 1 with one line, no stack trace; --fail-open prints the original', async () => {
    fake.failNext(10, { status: 500 });
    const r = await runInProcess(['text', '--style', 'pirate', '--no-cache', 'x'], { env: env(), cwd });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    fake.failNext(10, { status: 500 });
    const open = await runInProcess(['text', '--style', 'pirate', '--no-cache', '--fail-open', 'kept'], { env: env(), cwd });
    expect(open).toMatchObject({ code: 0, stdout: 'kept\n' });
  });

  it('broken config: exit 2 naming file, line and column', async () => {
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  pirate: {model: x\n');
    const r = await runInProcess(['text', '--style', 'pirate', 'x'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^restyle: config\/restyle\.yaml:\d+:\d+: /);
  });

  it('unknown option is a usage error (exit 2)', async () => {
    const r = await runInProcess(['text', '--bogus'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('restyle styles lists the configured styles', async () => {
    const r = await runInProcess(['styles', '--json'], { env: env(), cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((s: { name: string }) => s.name)).toEqual(['pirate', 'toned']);
  });
});

describe('the restyle executable', () => {
  it('--help works straight after install, no build step', async () => {
    const r = await runBin(['--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: restyle');
    for (const cmd of ['text', 'styles', 'doctor', 'bot']) expect(r.stdout).toContain(cmd);
  });

  it('styles text end to end as a user would, reading .env', async () => {
    writeFileSync(join(cwd, '.env'), `OPENAI_API_KEY=sk-from-dotenv\nOPENAI_BASE_URL=${fake.url}\n`);
    const r = await runBin(['text', '--style', 'pirate', 'Hello there.'], { cwd });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'Arr! Hello there.\n' });
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-from-dotenv');
  });
});
