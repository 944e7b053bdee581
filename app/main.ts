/**
 * The composition root: the one module that knows every part. It wires the platform-free program in src/
 * (the CLI, the use cases) to the platforms in adapters/ (HTTP, Slack, Discord): `serve` for `restyle bot`,
 * the platform commands and doctor checks for the CLI, and `main` for bin/restyle.js.
 */
import type { AppContext } from '../src/app.js';
import type { PlatformJobs } from '../src/bot/platform.js';
import type { ServeOptions, Services } from '../src/cli/commands/bot.js';
import { ROLES, type Role } from '../src/cli/roles.js';
import type { HttpServer } from '../adapters/http/server.js';
import type { CliIO } from '../src/cli/io.js';
import { runCli, type CliDeps } from '../src/cli/main.js';
import { slackCheck } from '../adapters/slack/doctor.js';
import { discordCheck } from '../adapters/discord/doctor.js';
import { processEnv } from '../src/config/env.js';
import { PLATFORMS, type PlatformEntry } from '../adapters/platforms.js';
import { openStartingPort } from '../adapters/http/open-starting-port.js';

/**
 * Start what this process's roles run (`--only`, default all): `web` serves the HTTP API and Slack's events
 * on one port, `gateway` holds the Discord gateway, `jobs` runs the queue's workers for every enabled platform.
 */
export async function serve(ctx: AppContext, options: ServeOptions): Promise<Services> {
  // Imported here, not at the top: the HTTP layer (zod schemas) is not loaded for `restyle --help` or `text`.
  const { createHttpServer } = await import('../adapters/http/server.js');
  const roles = new Set<Role>(options.roles ?? ROLES);
  const web = roles.has('web');
  const queue = ctx.queue;
  const runsJobs = roles.has('jobs') && queue !== undefined;
  // Built for `web` (it listens) and for `jobs` (never listens: its `/v1/post` job handler posts through the
  // posters added below). A gateway-only process takes no `/v1/post` jobs.
  const http = createHttpServer({ ctx: web || runsJobs ? ctx : { ...ctx, queue: undefined }, ...(options.opened ? { opened: options.opened } : {}) });
  const running: Array<{ name: string; platform: { stop(): Promise<void> } }> = [];
  for (const entry of PLATFORMS) {
    if (!roles.has(entry.role)) {
      // Its intake runs in another process; this one may still post (and run its jobs) through its REST API.
      const jobs = await attachElsewhere(ctx, entry, http, { roles, runsJobs });
      if (jobs) running.push({ name: entry.name, platform: jobs });
      continue;
    }
    if (!entry.enabled(ctx.settings)) {
      const missing = entry.missing?.(ctx.settings);
      if (missing) ctx.logger.warn(`${entry.name}: off: ${missing} (set ${entry.enableHint} to enable)`);
      else ctx.logger.info(`${entry.name}: off (set ${entry.enableHint} to enable)`);
      // With every role here (`npm start`), no other process takes this platform's posts: refused at once.
      http.posterUnavailable(entry.name, `${entry.name} is off in this process: set ${entry.enableHint} to enable it`, { nowhere: roles.size === ROLES.length });
      continue;
    }
    const platform = await entry.load();
    const started = await platform.start(ctx, http);
    running.push({ name: entry.name, platform: started });
    http.addReadiness(entry.name, () => started.ready());
    const post = started.post?.bind(started);
    if (post) http.addPoster(entry.name, post, platform.checkPost);
    else http.posterUnavailable(entry.name, `${entry.name} cannot post messages for the HTTP API`);
    ctx.logger.info(`${entry.name}: on`);
  }
  if (queue) {
    http.addReadiness('queue', async () => (await queue.ping(), true));
    // Without the `jobs` role this process only enqueues: a `restyle bot --only jobs` sharing the store runs them.
    if (runsJobs) await queue.start({ concurrency: ctx.settings.queue.concurrency });
    ctx.logger.info(runsJobs ? `jobs: running (${queue.kind} queue at ${queue.location})` : `jobs: not run here (roles ${[...roles].join(',')}); a process with --only jobs on the same ${queue.kind === 'redis' ? 'REDIS_URL' : 'data directory'} runs them`);
  }
  // Only `web` has a port: gateway and jobs processes serve no HTTP (a worker dyno has none).
  let port: number | undefined;
  if (web) {
    port = await http.listen(options.port);
    ctx.logger.info(`http: listening on port ${port} (POST /v1/restyle, /v1/post, GET /healthz, /readyz, /metrics)`);
    if (!ctx.settings.http.apiToken) ctx.logger.warn('http: RESTYLE_API_TOKEN is not set, so /v1/* answers only on this machine (127.0.0.1); set it to call the API from elsewhere');
  }
  // A jobs or gateway process has no API port; with --health-port its probes get one of their own.
  let healthPort: number | undefined;
  if (!web && options.healthPort !== undefined) {
    healthPort = await http.listenHealth(options.healthPort);
    ctx.logger.info(`http: health only on port ${healthPort} (GET /healthz, /readyz, /metrics)`);
  }
  return {
    port,
    ...(healthPort !== undefined ? { healthPort } : {}),
    async stop(deadlineMs = 10_000) {
      // Stop taking work, let in-flight requests finish, then close the platforms; give up at the deadline.
      const graceful = (async () => {
        if (web || healthPort !== undefined) await http.close();
        // Jobs not finished by the deadline stay in the queue: another process, or this one restarted, runs them.
        await queue?.close(deadlineMs);
        for (const r of running.reverse()) await r.platform.stop();
      })();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          ctx.logger.warn(`shutdown: still busy after ${deadlineMs} ms; closing anyway`);
          http.server.closeAllConnections();
          resolve();
        }, deadlineMs);
      });
      await Promise.race([graceful, deadline]);
      clearTimeout(timer);
    },
  };
}

/**
 * A platform whose intake runs in another process: with the `jobs` role here, its job handlers run on its
 * REST API (`ChatPlatform.jobs`); a `web` process posts for `/v1/post` through REST (`poster`), or says why not.
 */
async function attachElsewhere(ctx: AppContext, entry: PlatformEntry, http: HttpServer, { roles, runsJobs }: { roles: Set<Role>; runsJobs: boolean }): Promise<PlatformJobs | undefined> {
  const enabled = entry.enabled(ctx.settings);
  const loaded = enabled && (runsJobs || roles.has('web')) ? await entry.load() : undefined;
  const jobs = runsJobs ? await loaded?.jobs?.(ctx, ctx.queue!) : undefined;
  const post = jobs?.post ?? (roles.has('web') ? loaded?.poster?.(ctx) : undefined);
  if (post) http.addPoster(entry.name, post, loaded?.checkPost);
  else {
    const mine = [...roles].join(',');
    http.posterUnavailable(entry.name, `${entry.name} is not running in this process (started with --only ${mine}; ${entry.name} runs with --only ${entry.role}): post to ${entry.name}: channels through a \`restyle bot\` that runs it`);
  }
  if (jobs) ctx.logger.info(`${entry.name}: jobs only (its events come in through --only ${entry.role})`);
  return jobs;
}

/** The platform pieces the CLI gets; the platform-free commands are src/cli/main.ts's own. */
export const cliDeps: CliDeps = {
  serve,
  openPort: (port) => openStartingPort(port),
  commands: [{ name: 'discord', term: 'discord', summary: 'Discord: set up the bot (see docs/discord.md)', load: async () => (await import('../adapters/discord/register-command.js')).registerDiscordCommands }],
  doctorChecks: [slackCheck, discordCheck],
};

export async function main(argv: readonly string[]): Promise<number> {
  quietOnClosedPipe();
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: processEnv(), cwd: process.cwd() };
  return runCli(argv, io, cliDeps);
}

/**
 * `restyle doctor | head -3`: the reader went away, so the rest of the output is not wanted. That is no error;
 * without a listener Node would throw it as a raw "Unhandled 'error' event" (EPIPE) stack.
 */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
