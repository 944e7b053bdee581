import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeSlack } from '../fakes/slack.js';
import { freePort } from '../support/redis-server.js';
import { tmpDir } from '../support/tmp.js';
import { BIN } from '../support/cli.js';
import { useFakeOpenAI } from '../support/fake-openai.js';

const children: ChildProcess[] = [];
const fake = useFakeOpenAI();
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startBot(extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string; logs: () => string }> {
  const cwd = tmpDir('bot');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  slow:\n    model: slow-1\n');
  const port = await freePort();
  let logs = '';
  const child = spawn(process.execPath, [BIN, 'bot'], {
    cwd,
    env: { PATH: process.env.PATH, PORT: String(port), OPENAI_API_KEY: 'sk-bot', OPENAI_BASE_URL: fake.url, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  await vi.waitFor(() => expect(logs).toContain(`listening on port ${port}`), { timeout: 15_000, interval: 50 });
  return { child, base: `http://127.0.0.1:${port}`, logs: () => logs };
}

describe('restyle bot (npm start)', () => {
  it('runs on the embedded default with no Redis, says which platforms are off and how to enable them', async () => {
    const { base, logs } = await startBot();
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
    expect(logs()).toMatch(/slack: off \(set SLACK_BOT_TOKEN/);
    expect(logs()).toMatch(/discord: off \(set DISCORD_BOT_TOKEN/);
    expect(logs()).toMatch(/store sqlite at .*data\/restyle\.sqlite/);
  });

  it('half a Slack set-up (a bot token without a signing secret or app token) is a warning naming what is missing', async () => {
    const { logs } = await startBot({ SLACK_BOT_TOKEN: 'xoxb-half-set-up' });
    const line = logs()
      .split('\n')
      .find((l) => l.includes('slack: off'));
    expect(JSON.parse(line!)).toMatchObject({ level: 40, msg: expect.stringMatching(/^slack: off: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET \(HTTP events\) nor SLACK_APP_TOKEN \(Socket Mode\) is/) });
    expect(logs()).not.toContain('xoxb-half-set-up');
  });

  it('on SIGTERM finishes the restyle in flight, then exits 0', async () => {
    const { child, base } = await startBot();
    fake.setLatency(800);
    const inflight = fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello', style: 'slow' }) });
    await vi.waitFor(() => expect(fake.requestsTo('/chat/completions').length).toBeGreaterThan(0), { timeout: 5000, interval: 20 });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const res = await inflight;
    fake.setLatency(0);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: 'HELLO', styled: true });
    expect(await exited).toBe(0);
  });

  it('logs no secrets', async () => {
    const { base, logs } = await startBot({ SLACK_SIGNING_SECRET: 'sig-secret-123456', RESTYLE_API_TOKEN: 'api-token-654321', LOG_LEVEL: 'debug' });
    await fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{}' });
    expect(logs()).not.toContain('sk-bot');
    expect(logs()).not.toContain('sig-secret-123456');
    expect(logs()).not.toContain('api-token-654321');
  });

  it('answers /healthz while start-up is held, /readyz and the API 503 starting until Slack is up, then ready', async () => {
    const slack = await startFakeSlack();
    const release = slack.hold();
    try {
      const cwd = tmpDir('bot-starting');
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      let logs = '';
      const child = spawn(process.execPath, [BIN, 'bot'], {
        cwd,
        env: { PATH: process.env.PATH, PORT: String(port), OPENAI_API_KEY: 'sk-bot', OPENAI_BASE_URL: fake.url, SLACK_BOT_TOKEN: 'xoxb-start', SLACK_SIGNING_SECRET: 'sig-start', SLACK_API_URL: slack.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
      // Slack's auth.test is held, so the bot cannot be up: the port answers anyway.
      await vi.waitFor(() => expect(slack.callsTo('auth.test').length).toBeGreaterThan(0), { timeout: 15_000, interval: 50 });
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, starting: true });
      const api = await fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
      expect(api.status).toBe(503);
      expect(api.headers.get('retry-after')).toBe('1');
      expect((await api.json()).error.code).toBe('starting');
      expect(logs).not.toContain('listening on port');
      release();
      await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), { timeout: 15_000, interval: 50 });
      expect(logs).toContain(`listening on port ${port}`);
      const styled = await fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
      expect(styled.status).toBe(200);
    } finally {
      release();
      await slack.close();
    }
  });

  it('a config error exits 2 with one line and never opens the port', async () => {
    const cwd = tmpDir('bot-bad-config');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  slow:\n    model: 42\n');
    const port = await freePort();
    let stderr = '';
    const child = spawn(process.execPath, [BIN, 'bot'], { cwd, env: { PATH: process.env.PATH, PORT: String(port), OPENAI_API_KEY: 'sk-bot' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('config/restyle.yaml: styles.slow.model');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('--only jobs --health-port: probes answer on that port, and SIGTERM ends it; misused, one line and exit 2', async () => {
    const cwd = tmpDir('bot-health');
    const env = { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-bot', OPENAI_BASE_URL: fake.url };
    const port = await freePort();
    let logs = '';
    const child = spawn(process.execPath, [BIN, 'bot', '--only', 'jobs', '--health-port', String(port)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    await vi.waitFor(() => expect(logs).toContain(`health only on port ${port}`), { timeout: 15_000, interval: 50 });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(0);

    for (const [args, said] of [
      [['--health-port', '9'], /^--health-port is for a process without the web role/],
      [['--only', 'jobs', '--health-port', 'nine'], /^--health-port nine: expected a port number/],
    ] as const) {
      let stderr = '';
      const bad = spawn(process.execPath, [BIN, 'bot', ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(bad);
      bad.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      expect(await new Promise<number | null>((resolve) => bad.once('exit', resolve))).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr.trim().replace(/^restyle: /, '')).toMatch(said);
    }
  });

  it('a port in use is one clear line and exit 2, with nothing left running', async () => {
    const { base } = await startBot();
    const port = new URL(base).port;
    const cwd = tmpDir('bot-port-in-use');
    let stderr = '';
    const child = spawn(process.execPath, [BIN, 'bot', '--port', port], { cwd, env: { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-bot' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(`PORT ${port} is already in use`);
  });
});
