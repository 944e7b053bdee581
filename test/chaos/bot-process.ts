import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { stringify } from 'yaml';
import { BIN } from '../support/cli.js';
import { freePort } from '../support/redis-server.js';

/** A real `restyle bot` process (bin/restyle.js), as `npm start` runs it. */
export interface BotProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  logs(): string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** Signal, resolved with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
/** Never leave a bot behind, whatever the test did. */
export function killAllBots(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
}
process.once('exit', killAllBots);

/** Write `config/restyle.yaml` in `cwd` (made if missing). */
export function writeConfig(cwd: string, config: Record<string, unknown>): void {
  mkdirSync(join(cwd, 'config'), { recursive: true });
  writeFileSync(join(cwd, 'config/restyle.yaml'), stringify(config));
}

/** Start `restyle bot` in `cwd` and wait until it serves HTTP (or, without the web role, says the store line). */
export async function startBot(cwd: string, env: Record<string, string>, args: string[] = []): Promise<BotProcess> {
  const port = await freePort();
  let logs = '';
  const child = spawn(process.execPath, [BIN, 'bot', ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (running.delete(child), resolve(code))));
  const only = args[args.indexOf('--only') + 1];
  const ready = args.includes('--only') && !only?.split(',').includes('web') ? /restyle: store/ : new RegExp(`listening on port ${port}`);
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`restyle bot exited ${child.exitCode}:\n${logs}`);
      expect(logs).toMatch(ready);
    },
    { timeout: 30_000, interval: 50 },
  );
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    logs: () => logs,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}
