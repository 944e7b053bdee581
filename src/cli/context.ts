import type { Command } from 'commander';
import { createContext, type AppContext } from '../app.js';
import { loadConfig, secretsOf, type Settings } from '../config/load.js';
import { createLogger, isTerminal } from '../log.js';
import { write, type CliIO } from './io.js';
import { existsSync } from 'node:fs';
import { displayPath } from '../util/paths.js';

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
export interface ContextOptions {
  registry?: 'once' | 'off';
  /** A command that reads what is stored (models list, forget): say so when it found no store and made one. */
  noteNewStore?: boolean;
}

export async function contextFor(cmd: Command, io: CliIO, settings: Settings = settingsFor(cmd, io), options: ContextOptions = {}): Promise<AppContext> {
  const logger = createLogger({
    level: globalOptions(cmd).debug ? 'debug' : settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    secrets: secretsOf(settings),
    pretty: isTerminal(io.stderr),
  });
  // Run from another folder, a command would quietly use a new, empty store: say so when it makes one.
  const fresh = options.noteNewStore === true && !settings.store.redisUrl && !existsSync(settings.store.sqlitePath);
  const ctx = await createContext(settings, { logger, env: io.env, registry: options.registry ?? 'once' });
  if (fresh) write(io.stderr, `note: no store at ${displayPath(settings.store.sqlitePath, io.cwd)} yet: made a new, empty one (RESTYLE_DATA_DIR, default data/ in the folder restyle runs from)`);
  return ctx;
}

/** Run `fn` with a context and always close it. */
export async function withContext<T>(cmd: Command, io: CliIO, fn: (ctx: AppContext) => Promise<T>, options: ContextOptions = {}): Promise<T> {
  const ctx = await contextFor(cmd, io, undefined, options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
