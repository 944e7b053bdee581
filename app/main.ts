/**
 * The composition root: the one module that knows every part. It wires the platform-free program in src/
 * (the CLI, the use cases) to the platforms in adapters/ (HTTP, Slack, Discord): `serve` for `restyle bot`,
 * the platform commands and doctor checks for the CLI, and `main` for bin/restyle.js.
 */
import type { AppContext } from '../src/app.js';
import type { RunningPlatform } from '../src/bot/platform.js';
import type { ServeOptions, Services } from '../src/cli/commands/bot.js';
import type { CliIO } from '../src/cli/io.js';
import { runCli, type CliDeps } from '../src/cli/main.js';
import { slackCheck } from '../adapters/slack/doctor.js';
import { discordCheck } from '../adapters/discord/doctor.js';
import { processEnv } from '../src/config/env.js';
import { PLATFORMS } from '../adapters/platforms.js';
import { openStartingPort } from '../adapters/http/open-starting-port.js';

/** Start the HTTP API and every enabled chat platform on one port, in one process. */
export async function serve(ctx: AppContext, options: ServeOptions): Promise<Services> {
  // Imported here, not at the top: the HTTP layer (zod schemas) is not loaded for `restyle --help` or `text`.
  const { createHttpServer } = await import('../adapters/http/server.js');
  const only = options.only;
  // A worker serves no HTTP, so it must not take /v1/post jobs (their platform may run elsewhere).
  const http = createHttpServer({ ctx: only === 'worker' ? { ...ctx, queue: undefined } : ctx, ...(options.opened ? { opened: options.opened } : {}) });
  const running: Array<{ name: string; platform: RunningPlatform }> = [];
  for (const entry of PLATFORMS) {
    if (only && entry.role !== only) {
      // Its connection runs in another process; the HTTP API may still post through its REST API.
      const loaded = only === 'web' && entry.enabled(ctx.settings) ? await entry.load() : undefined;
      const restOnly = loaded?.poster?.(ctx);
      if (restOnly) http.addPoster(entry.name, restOnly, loaded?.checkPost);
      else {
        http.posterUnavailable(
          entry.name,
          `${entry.name} is not running in this process (started with --only ${only}; ${entry.name} runs with --only ${entry.role}): post to ${entry.name}: channels through a \`restyle bot\` that runs it`,
        );
      }
      continue;
    }
    if (!entry.enabled(ctx.settings)) {
      ctx.logger.info(`${entry.name}: off (set ${entry.enableHint} to enable)`);
      http.posterUnavailable(entry.name, `${entry.name} is off in this process: set ${entry.enableHint} to enable it`);
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
  const queue = ctx.queue;
  if (queue) {
    http.addReadiness('queue', async () => (await queue.ping(), true));
    await queue.start({ concurrency: ctx.settings.queue.concurrency });
  }
  // A worker (Discord gateway only) serves no HTTP; everything else shares one port.
  let port: number | undefined;
  if (only !== 'worker') {
    port = await http.listen(options.port);
    ctx.logger.info(`http: listening on port ${port} (POST /v1/restyle, /v1/post, GET /healthz, /readyz, /metrics)`);
    if (!ctx.settings.http.apiToken) ctx.logger.warn('http: RESTYLE_API_TOKEN is not set, so /v1/* answers only on this machine (127.0.0.1); set it to call the API from elsewhere');
  }
  return {
    port,
    async stop(deadlineMs = 10_000) {
      // Stop taking work, let in-flight requests finish, then close the platforms; give up at the deadline.
      const graceful = (async () => {
        if (only !== 'worker') await http.close();
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

/** The platform pieces the CLI gets; the platform-free commands are src/cli/main.ts's own. */
export const cliDeps: CliDeps = {
  serve,
  openPort: (port) => openStartingPort(port),
  commands: [{ name: 'discord', term: 'discord', summary: 'Discord: set up the bot (see docs/discord.md)', load: async () => (await import('../adapters/discord/register-command.js')).registerDiscordCommands }],
  doctorChecks: [slackCheck, discordCheck],
};

export async function main(argv: readonly string[]): Promise<number> {
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: processEnv(), cwd: process.cwd() };
  return runCli(argv, io, cliDeps);
}
