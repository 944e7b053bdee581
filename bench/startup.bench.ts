/**
 * Start-up (issue 15 §2), of the compiled program that `npm start` and the installed `restyle` run
 * (`npm run bench` builds dist/ first): `restyle --help` against `node -e 0`, and `restyle bot` (no chat
 * tokens, SQLite store) until its first /healthz 200 against a bare node:http server answering the same
 * poll, with no config file and with the shipped config/restyle.yaml (what `npm start` in a checkout reads).
 * Medians of alternating runs, so a busy machine slows both sides alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/redis-server.js';
import { median, type BenchResult } from './types.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'restyle.js');
const RUNS = 15;
const BARE_SERVER = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";

/** Wall time from spawn to exit (exit code 0 required). */
function timedRun(args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    child.once('exit', (code) => (code === 0 ? done(performance.now() - t0) : fail(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

/** Wall time from spawn to the first 200 from /healthz; the process is stopped afterwards. */
async function timeToHealthy(args: string[], port: number, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { cwd: env.RESTYLE_DATA_DIR ?? ROOT, env, stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${args.join(' ')} exited before answering /healthz`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - t0;
      await sleep(2);
    }
  } finally {
    const gone = new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
    child.kill('SIGKILL');
    await gone;
  }
}

export default async function startupBench(): Promise<BenchResult[]> {
  if (!existsSync(join(ROOT, 'dist', 'app', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  const node: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await timedRun(['-e', '0']));
    help.push(await timedRun([BIN, '--help']));
  }

  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-startup-'));
  const bare: number[] = [];
  const bot: number[] = [];
  const bareForConfigured: number[] = [];
  const botConfigured: number[] = [];
  try {
    // No config, no tokens, no REDIS_URL: the embedded default, as after `npm ci && npm start`.
    const env = { PATH: process.env.PATH, RESTYLE_DATA_DIR: dir, OPENAI_API_KEY: 'sk-bench', LOG_LEVEL: 'warn' };
    for (let i = 0; i < RUNS; i++) {
      const p1 = await freePort();
      bare.push(await timeToHealthy(['-e', BARE_SERVER, String(p1)], p1, env));
      const p2 = await freePort();
      bot.push(await timeToHealthy([BIN, 'bot', '--port', String(p2)], p2, env));
    }
    // Its own alternating bare runs: every bot run follows a bare one, as above, so the order is no variable.
    const configured = { ...env, RESTYLE_CONFIG: join(ROOT, 'config', 'restyle.yaml') };
    for (let i = 0; i < RUNS; i++) {
      const p1 = await freePort();
      bareForConfigured.push(await timeToHealthy(['-e', BARE_SERVER, String(p1)], p1, env));
      const p2 = await freePort();
      botConfigured.push(await timeToHealthy([BIN, 'bot', '--port', String(p2)], p2, configured));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const helpRatio = median(help) / median(node);
  const botRatio = median(bot) / median(bare);
  const configuredRatio = median(botConfigured) / median(bareForConfigured);
  return [
    { name: '`restyle --help` vs `node -e 0`', value: helpRatio, unit: '×', goal: '≤3×', ok: helpRatio <= 3, note: `${median(help).toFixed(0)} vs ${median(node).toFixed(0)} ms, median of ${RUNS}` },
    {
      name: '`restyle bot` (= npm start) → first /healthz 200 vs a bare node:http server',
      value: botRatio,
      unit: '×',
      goal: '≤3×',
      ok: botRatio <= 3,
      note: `${median(bot).toFixed(0)} vs ${median(bare).toFixed(0)} ms, median of ${RUNS}`,
    },
    {
      name: '… with the shipped config/restyle.yaml',
      value: configuredRatio,
      unit: '×',
      goal: '≤3×',
      ok: configuredRatio <= 3,
      note: `${median(botConfigured).toFixed(0)} vs ${median(bareForConfigured).toFixed(0)} ms, median of ${RUNS}`,
    },
  ];
}
