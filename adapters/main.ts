import type { AppContext } from '../src/app.js';
import type { RunningPlatform } from '../src/bot/platform.js';
import type { Services } from '../src/cli/commands/bot.js';
import type { CliIO } from '../src/cli/io.js';
import { runCli, type CliDeps } from '../src/cli/main.js';
import { registerCorpus } from '../src/cli/commands/corpus.js';
import { processEnv } from '../src/config/env.js';
import { createHttpServer } from './http/server.js';
import { PLATFORMS } from './platforms.js';
import { registerDiscordCommands } from './discord/register-command.js';

/** Start the HTTP API and every enabled chat platform on one port, in one process. */
export async function serve(ctx: AppContext, options: { port: number }): Promise<Services> {
  const http = createHttpServer({ ctx });
  const running: Array<{ name: string; platform: RunningPlatform }> = [];
  for (const entry of PLATFORMS) {
    if (!entry.enabled(ctx.settings)) {
      ctx.logger.info(`${entry.name}: off (set ${entry.enableHint} to enable)`);
      continue;
    }
    const platform = await entry.load();
    running.push({ name: entry.name, platform: await platform.start(ctx, http) });
    ctx.logger.info(`${entry.name}: on`);
  }
  const port = await http.listen(options.port);
  ctx.logger.info(`http: listening on port ${port} (POST /v1/restyle, GET /healthz)`);
  return {
    async stop() {
      await http.close();
      for (const r of running.reverse()) await r.platform.stop();
    },
  };
}

export const cliDeps: CliDeps = { serve, commands: [registerCorpus, registerDiscordCommands] };

export async function main(argv: readonly string[]): Promise<number> {
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: processEnv(), cwd: process.cwd() };
  return runCli(argv, io, cliDeps);
}
