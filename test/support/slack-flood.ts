/**
 * The unsigned-body flood of issue 13 (hole 1), shared by test/chaos/slack-flood.test.ts and
 * bench/slack-flood.bench.ts: the real bot (`restyle bot`, Slack over HTTP against the fake Slack API) as a
 * child process whose RSS is read from /proc, and raw loopback sockets that each start a ~4 MB upload to
 * POST /slack/events and feed it slowly. Everything is bounded: a fixed number of sockets, a fixed byte
 * count each, and a watchdog that stops the flood once the bot's RSS has grown past a ceiling (so a run
 * against code that buffers every body stops well before it takes the machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { signSlackRequest, type SignedRequest } from '../fakes/slack.js';
import { BIN } from './cli.js';
import { freePort } from './redis-server.js';
import { tmpDir } from './tmp.js';

export interface BotChild {
  child: ChildProcess;
  port: number;
  logs(): string;
  /** Resident set size of the bot process, in bytes (VmRSS from /proc/<pid>/status). */
  rss(): number;
  stop(): Promise<void>;
}

/** `restyle bot` with Slack over HTTP, as `npm start` runs it. */
export async function startBotChild(options: { env: Record<string, string>; config: Record<string, unknown> }): Promise<BotChild> {
  const cwd = tmpDir('flood');
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), stringify(options.config));
  const port = await freePort();
  let logs = '';
  const child = spawn(process.execPath, [BIN, 'bot'], { cwd, env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: 'error', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!(await healthy(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`restyle bot did not start: ${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    logs: () => logs,
    rss: () => Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** POST a signed Slack request from `localAddress` (another loopback address than the flood's). */
export function postSigned(port: number, secret: string, signed: SignedRequest, localAddress = '127.0.0.2'): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const body = Buffer.from(signed.body);
    const headers = { 'content-type': signed.contentType, 'content-length': String(body.length), ...signSlackRequest(secret, signed.body) };
    const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export type FloodKind = 'unsigned' | 'forged';

export interface FloodOptions {
  port: number;
  /** Sockets, alternating unsigned (no Slack headers, Content-Length ~4 MB) and forged (a made-up v0 signature, fresh timestamp, chunked). */
  connections: number;
  bytesEach: number;
  /** Bytes each socket writes per tick (100 ms). */
  chunk: number;
  /** Bot RSS, read every tick; the flood stops when `rss() - baseline` passes `ceiling`. */
  rss: () => number;
  ceiling: number;
}

export interface Flood {
  /** Sockets still open. */
  open(): number;
  /** Largest RSS growth seen so far, bytes. */
  peakGrowth(): number;
  /** Whether the watchdog stopped the flood. */
  tripped(): boolean;
  /** Status lines the bot answered, by status code ('none' when it closed without answering). */
  answers(): Record<string, number>;
  /** Resolves once every socket has connected and sent its headers. */
  started: Promise<void>;
  stop(): void;
}

export function flood(options: FloodOptions): Flood {
  const baseline = options.rss();
  let peak = 0;
  let tripped = false;
  const answers: Record<string, number> = {};
  const piece = Buffer.alloc(options.chunk, 'a');
  /** Open sockets; `sent` is undefined until the headers are out. */
  const uploads = new Map<Socket, { kind: FloodKind; sent?: number }>();
  const settled = new Set<Socket>();
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const settle = (socket: Socket): void => {
    settled.add(socket);
    if (settled.size >= options.connections) markStarted();
  };
  for (let i = 0; i < options.connections; i += 1) {
    const upload: { kind: FloodKind; sent?: number } = { kind: i % 2 === 0 ? 'unsigned' : 'forged' };
    const socket = connect({ host: '127.0.0.1', port: options.port });
    uploads.set(socket, upload);
    let seen = '';
    socket.on('data', (d: Buffer) => {
      if (seen.length < 32) seen += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(seen)?.[1] ?? 'none';
      answers[status] = (answers[status] ?? 0) + 1;
      uploads.delete(socket);
      settle(socket);
    });
    socket.once('connect', () => {
      const headers = ['POST /slack/events HTTP/1.1', `Host: 127.0.0.1:${options.port}`, 'Content-Type: application/json'];
      if (upload.kind === 'unsigned') headers.push(`Content-Length: ${options.bytesEach}`);
      else headers.push('Transfer-Encoding: chunked', `X-Slack-Signature: v0=${'0'.repeat(64)}`, `X-Slack-Request-Timestamp: ${Math.floor(Date.now() / 1000)}`);
      socket.write(`${headers.join('\r\n')}\r\n\r\n`);
      upload.sent = 0;
      settle(socket);
    });
  }
  const tick = setInterval(() => {
    const growth = options.rss() - baseline;
    peak = Math.max(peak, growth);
    if (growth > options.ceiling) {
      tripped = true;
      stop();
      return;
    }
    for (const [socket, upload] of uploads) {
      if (upload.sent === undefined || upload.sent >= options.bytesEach || socket.writableLength > 0) continue;
      const size = Math.min(options.chunk, options.bytesEach - upload.sent);
      const data = size === piece.length ? piece : piece.subarray(0, size);
      socket.write(upload.kind === 'forged' ? chunked(data) : data);
      upload.sent += size;
    }
  }, 100);
  function stop(): void {
    clearInterval(tick);
    for (const socket of uploads.keys()) socket.destroy();
    markStarted();
  }
  return { open: () => uploads.size, peakGrowth: () => peak, tripped: () => tripped, answers: () => ({ ...answers }), started, stop };
}

function chunked(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}
