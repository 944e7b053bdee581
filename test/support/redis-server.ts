import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createServer, connect } from 'node:net';

/**
 * The redis-server binary on PATH, or null when it is not installed. Looked up on disk rather than through
 * `sh -c 'command -v'`: spawning a shell can fail on a loaded machine, which read as "not installed".
 */
export function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One PING: true on +PONG, false on any failure. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Resolves once a PING on the port gets +PONG (polling the socket); rejects early if `alive()` turns false. */
export async function waitForRedis(port: number, timeoutMs = 10_000, alive: () => string | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive();
    if (dead !== null) throw new Error(dead);
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25)); // poll interval, not a wait for an outcome
  }
}

export interface RedisProcess {
  url: string;
  port: number;
  /** Stop the server (SIGTERM, waits for exit). Idempotent. */
  stop(): Promise<void>;
  /** Start it again on the same port, empty (nothing is persisted). */
  start(): Promise<void>;
  /** Freeze it (SIGSTOP): connections stay open but nothing is answered, like a hung server. */
  pause(): void;
  /** Unfreeze it (SIGCONT). */
  resume(): void;
}

// Safety net: servers a test forgot to stop die with the process that started them.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A redis-server of its own on a free loopback port (or `port`). No persistence by default; with `durableDir`
 * it keeps every acknowledged write across a restart (AOF, `appendfsync always`) in that folder.
 */
export async function launchRedis(bin: string, port?: number, durableDir?: string): Promise<RedisProcess> {
  // A free port may be taken between probing and binding: try a few.
  for (let attempt = 1; ; attempt++) {
    const p = port ?? (await freePort());
    try {
      return await launchOn(bin, p, durableDir);
    } catch (error) {
      if (port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function launchOn(bin: string, port: number, durableDir?: string): Promise<RedisProcess> {
  const persistence = durableDir ? ['--dir', durableDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--save', '', '--appendonly', 'no'];
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    if (child) return;
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    running.add(c);
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-2000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    let spawnError: Error | null = null;
    c.once('error', (error) => {
      spawnError = error;
    });
    c.once('exit', () => running.delete(c));
    try {
      await waitForRedis(port, 10_000, () => {
        if (spawnError) return `cannot run ${bin}: ${spawnError.message}`;
        if (c.exitCode !== null || c.signalCode !== null) return `redis-server on port ${port} exited (${c.exitCode ?? c.signalCode}): ${output.trim()}`;
        return null;
      });
    } catch (error) {
      child = null;
      c.kill('SIGKILL');
      throw error;
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGCONT'); // a paused server cannot act on SIGTERM
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}
