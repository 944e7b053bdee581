/**
 * The real `restyle bot` (bin/restyle.js, the build `npm start` runs) in its own process, so the fakes and
 * the bench's clients do not share its event loop: in production Slack, Discord and the model are other
 * machines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../test/support/redis-server.js';

const BIN = resolve(import.meta.dirname, '../bin/restyle.js');

export interface BotProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** SIGTERM (the bot drains its work), resolved once the process is gone. */
  stop(): Promise<void>;
}

/** Write `config` as `dir/restyle.yaml`, start `restyle bot` with `env` (and that config), wait until it listens. */
export async function startBot(dir: string, config: Record<string, unknown>, env: Record<string, string>): Promise<BotProcess> {
  writeFileSync(join(dir, 'restyle.yaml'), stringify(config));
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'bot', '--port', String(port)], {
    cwd: dir,
    env: { PATH: process.env.PATH, RESTYLE_CONFIG: join(dir, 'restyle.yaml'), RESTYLE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((done, fail) => {
    let tail = '';
    child.stderr!.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      if (/listening on port/.test(tail)) done();
    });
    child.once('exit', (code) => fail(new Error(`restyle bot exited with ${code}: ${tail}`)));
  });
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
