import type { Command } from 'commander';
import { createContext, type AppContext } from '../app.js';
import { loadConfig, secretsOf, type Settings } from '../config/load.js';
import { createLogger, isTerminal } from '../log.js';
import type { CliIO } from './io.js';

/** Global options every command shares (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  debug?: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function settingsFor(cmd: Command, io: CliIO): Settings {
  return loadConfig({ env: io.env, path: globalOptions(cmd).config, cwd: io.cwd });
}

/**
 * Build the app context for a command; the caller closes it. `registry: 'off'` keeps the config's models
 * (commands that manage the registry or train from the config); the default applies the models in use.
 */
export async function contextFor(cmd: Command, io: CliIO, settings: Settings = settingsFor(cmd, io), options: { registry?: 'once' | 'off' } = {}): Promise<AppContext> {
  const logger = createLogger({
    level: globalOptions(cmd).debug ? 'debug' : settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    secrets: secretsOf(settings),
    pretty: isTerminal(io.stderr),
  });
  return createContext(settings, { logger, env: io.env, registry: options.registry ?? 'once' });
}

/** Run `fn` with a context and always close it. */
export async function withContext<T>(cmd: Command, io: CliIO, fn: (ctx: AppContext) => Promise<T>, options: { registry?: 'once' | 'off' } = {}): Promise<T> {
  const ctx = await contextFor(cmd, io, undefined, options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
