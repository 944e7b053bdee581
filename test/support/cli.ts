import { execFile } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { resolve } from 'node:path';
import type { CliIO } from '../../src/cli/io.js';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { cliDeps } from '../../app/main.js';
import type { Env } from '../../src/config/env.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process with captured streams (fast; the same code path as bin/restyle.js). */
export async function runInProcess(argv: string[], opts: { env?: Env; cwd: string; stdin?: string; deps?: CliDeps }): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Object.assign(Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]), { isTTY: opts.stdin === undefined });
  const io: CliIO = { stdout, stderr, stdin, env: opts.env ?? {}, cwd: opts.cwd };
  const code = await runCli(argv, io, opts.deps ?? cliDeps);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * The CLI as a file `node` runs: the TypeScript sources through tsx (test/support/restyle-ts.js), so a
 * spawned CLI runs the code under test, never a stale dist/. The installed bin (bin/restyle.js, compiled)
 * is tested by test/package/consumer.test.ts.
 */
export const BIN = resolve(import.meta.dirname, 'restyle-ts.js');

/** Run the CLI in a child process as a user would (`node BIN …`, see BIN). */
export function runBin(argv: string[], opts: { env?: Env; cwd: string; stdin?: string; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...argv],
      { cwd: opts.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env }, timeout: opts.timeoutMs ?? 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    else child.stdin?.end();
  });
}
