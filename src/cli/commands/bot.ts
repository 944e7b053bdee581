import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Command } from 'commander';
import type { AppContext } from '../../app.js';
import type { Logger } from '../../log.js';
import { write, type CliIO } from '../io.js';
import { loadConfig, secretsOf } from '../../config/load.js';
import { RestyleError } from '../../errors.js';
import { parseRoles, type Role } from '../roles.js';

/** What `restyle bot` runs: the HTTP API and the enabled chat platforms (wired in app/main.ts). */
export interface Services {
  /** The HTTP port, when this process serves HTTP (the `web` role). */
  readonly port?: number;
  /** The health-only port (`--health-port`), in a process without the `web` role. */
  readonly healthPort?: number;
  /** Stop taking work, finish what is in flight, close connections; at most `deadlineMs`. */
  stop(deadlineMs?: number): Promise<void>;
}
export interface ServeOptions {
  port: number;
  /** The roles this process runs (`--only`); default: every role, in one process. */
  roles?: readonly Role[];
  /** The port, already opened while the app was built: the HTTP API takes it over instead of binding. */
  opened?: OpenPort;
  /** Without the `web` role: serve `/healthz`, `/readyz` and `/metrics` alone on this port (0: any free one). */
  healthPort?: number;
}
export type Serve = (ctx: AppContext, options: ServeOptions) => Promise<Services>;


/**
 * An HTTP port opened before the app is built, answering liveness at once and 503 `starting` elsewhere
 * (adapters/http/open-starting-port.ts), until `handOver` gives it the real handler.
 */
export interface OpenPort {
  readonly server: Server;
  readonly port: number;
  handOver(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}
export type OpenPortFn = (port: number) => Promise<OpenPort>;

export function registerBot(program: Command, io: CliIO, serve: Serve, openPort?: OpenPortFn): void {
  program
    .command('bot')
    .description('run the bot: HTTP API on PORT plus Slack and/or Discord when their tokens are set')
    .option('--port <n>', 'port for the HTTP API and Slack events (default: PORT or 3000)')
    .option('--only <roles>', 'run some roles (comma-separated): web (HTTP API + Slack events), gateway (Discord gateway), jobs (queue workers: answers and posts); default all')
    .option('--shutdown-seconds <n>', 'on SIGTERM, how long to let in-flight work finish', '10')
    .option('--health-port <n>', 'with --only jobs or gateway (no HTTP API): serve /healthz, /readyz and /metrics on this port, for liveness and readiness probes')
    .addHelpText(
      'after',
      [
        '',
        'Roles (--only, comma-separated; default: all three in one process):',
        '  web      HTTP API and Slack events on PORT: acks and records work in the queue',
        '  gateway  the Discord gateway (one per bot): events in; no port',
        '  jobs     the queue workers for every enabled platform: answers and posts; no port',
        'Procfile: web = --only web, gateway = --only gateway, worker = --only jobs (scale worker apart from web).',
      ].join('\n'),
    )
    .action(async function (this: Command, opts: { port?: string; only?: string; shutdownSeconds: string; healthPort?: string }) {
      const roles = opts.only === undefined ? undefined : parseRoles(opts.only);
      const healthPort = healthPortOf(opts.healthPort, roles);
      if (!/^\d+(\.\d+)?$/.test(opts.shutdownSeconds)) throw new RestyleError('usage', `--shutdown-seconds ${opts.shutdownSeconds}: expected a number of seconds, such as 10`);
      // Config first: a config error exits 2 with its one line before any port is opened.
      const settings = loadConfig({ env: io.env, path: this.optsWithGlobals<{ config?: string }>().config, cwd: io.cwd });
      const port = opts.port !== undefined ? Number(opts.port) : settings.http.port;
      // The port opens before the logger, store, queue, model clients and platforms load (imported only now):
      // /healthz answers at once, /readyz and the API say `starting` until everything is up.
      const opened = (!roles || roles.includes('web')) && openPort ? await openPort(port) : undefined;
      let logger: Logger;
      let ctx: AppContext | undefined;
      let services: Services;
      let stopRetention: (() => void) | undefined;
      try {
        const [{ createLogger, isTerminal }, { createContext }, { startRetention }] = await Promise.all([import('../../log.js'), import('../../app.js'), import('../../privacy/retention.js')]);
        logger = createLogger({
          level: settings.logLevel,
          pretty: isTerminal(io.stderr),
          secrets: secretsOf(settings),
        });
        ctx = await createContext(settings, { logger, env: io.env, registry: 'sync', queue: 'open' });
        const retentionDays = settings.privacy.retentionDays;
        stopRetention = retentionDays ? startRetention(ctx.store, retentionDays, { logger }) : undefined;
        services = await serve(ctx, { port, ...(roles ? { roles } : {}), ...(opened ? { opened } : {}), ...(healthPort !== undefined ? { healthPort } : {}) });
      } catch (error) {
        stopRetention?.();
        await opened?.close();
        await ctx?.close();
        throw error;
      }
      write(io.stderr, `restyle: store ${ctx.store.kind} at ${ctx.store.location}; press Ctrl+C to stop`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      logger.info('shutting down');
      const deadlineMs = Number(opts.shutdownSeconds) * 1000;
      // A platform that cannot reach its server (a Discord gateway reconnecting forever) keeps the event loop
      // alive after everything else closed: at the deadline the process ends anyway. Unfinished queued jobs
      // stay in the queue for the next process.
      const hardStop = setTimeout(() => {
        logger.warn(`shutdown: still running ${deadlineMs} ms after the signal (--shutdown-seconds); exiting now`);
        process.exit(1);
      }, deadlineMs + 250);
      hardStop.unref();
      stopRetention?.();
      await services.stop(deadlineMs);
      await ctx.close();
    });
}

/** `--health-port`: a port number, for a process without the `web` role (which serves /healthz on --port). */
function healthPortOf(raw: string | undefined, roles: readonly Role[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) throw new RestyleError('usage', `--health-port ${raw}: expected a port number (0–65535)`);
  if (!roles || roles.includes('web')) throw new RestyleError('usage', '--health-port is for a process without the web role (--only jobs or --only gateway): the web role serves /healthz and /readyz on --port');
  return Number(raw);
}
