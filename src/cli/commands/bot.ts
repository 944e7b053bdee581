import type { Command } from 'commander';
import type { AppContext } from '../../app.js';
import { write, type CliIO } from '../io.js';
import { settingsFor } from '../context.js';
import { createLogger } from '../../log.js';
import { createContext } from '../../app.js';

/** What `restyle bot` runs: the HTTP API and the enabled chat platforms (wired in adapters/main.ts). */
export interface Services {
  stop(): Promise<void>;
}
export type Serve = (ctx: AppContext, options: { port: number }) => Promise<Services>;

export function registerBot(program: Command, io: CliIO, serve: Serve): void {
  program
    .command('bot')
    .description('run the bot: HTTP API on PORT plus Slack and/or Discord when their tokens are set')
    .option('--port <n>', 'port for the HTTP API and Slack events (default: PORT or 3000)')
    .action(async function (this: Command, opts: { port?: string }) {
      const settings = settingsFor(this, io);
      const logger = createLogger({
        level: settings.logLevel,
        secrets: [settings.openai.apiKey, settings.slack.botToken, settings.slack.signingSecret, settings.slack.appToken, settings.discord.botToken, settings.http.apiToken],
      });
      const ctx = await createContext(settings, { logger });
      const port = opts.port !== undefined ? Number(opts.port) : settings.http.port;
      const services = await serve(ctx, { port });
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
      await services.stop();
      await ctx.close();
    });
}
