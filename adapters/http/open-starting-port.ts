import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OpenPort } from '../../src/cli/commands/bot.js';
import { listenOn } from './listen-on.js';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Seconds a caller is told to wait (Retry-After) while the bot starts. */
const RETRY_AFTER_SECONDS = 1;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** What the port answers before the bot is up: alive (`/healthz` 200), not ready, every other route 503 `starting`. */
const whileStarting: RequestHandler = (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return send(res, 200, { ok: true });
  const retry = { 'retry-after': String(RETRY_AFTER_SECONDS) };
  if (path === '/readyz') return send(res, 503, { ready: false, starting: true }, retry);
  send(res, 503, { error: { code: 'starting', message: 'restyle is starting: retry in a moment' } }, retry);
};

/**
 * Open the HTTP port before the app is built (`restyle bot`), so a supervisor sees the process alive at
 * once: liveness needs only node:http, while the store, queue, model clients and platforms load behind it.
 * `handOver` gives the port to the real API server's handler. Loads nothing but node:http (start-up bench).
 */
export async function openStartingPort(port: number, host?: string): Promise<OpenPort> {
  let handler: RequestHandler = whileStarting;
  const server = createServer((req, res) => handler(req, res));
  const bound = await listenOn(server, port, host);
  return {
    server,
    port: bound,
    handOver(next) {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
