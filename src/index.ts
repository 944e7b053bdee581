/**
 * `import { createRestyle } from 'restyle'`: the core for other programs (config, the restyler, errors,
 * types). The chat SDK pieces are `restyle/slack` and `restyle/discord`.
 */
import { createContext, type AppContext, type ContextOptions } from './app.js';
import { loadConfig, type Settings } from './config/load.js';
import { processEnv, type Env } from './config/env.js';

export interface CreateRestyleOptions extends ContextOptions {
  /** Default: the process environment (after `.env` in `cwd`). */
  env?: Env;
  /** The config file; default: RESTYLE_CONFIG, else config/restyle.yaml under `cwd` (which may be absent). */
  config?: string;
  cwd?: string;
  /** Settings built already (`settingsFrom(object, env)`): no file is read. */
  settings?: Settings;
}

/**
 * Read the config and the environment and open the store: the one call an app needs before
 * `restyle.restyler.restyle(text, { style })`, `restyleSlack(restyle.restyler)` or
 * `restyleDiscord(client, restyle.restyler)`. `close()` when done.
 *
 * @example
 * const restyle = await createRestyle();
 * const { text } = await restyle.restyler.restyle('Your build passed.', { style: 'pirate' });
 * await restyle.close();
 */
export async function createRestyle(options: CreateRestyleOptions = {}): Promise<AppContext> {
  const { env: givenEnv, config, cwd, settings: given, ...context } = options;
  const env = givenEnv ?? processEnv(cwd);
  const settings = given ?? loadConfig({ env, path: config, cwd });
  return createContext(settings, { env, ...context });
}

export { createContext, type AppContext, type ContextOptions } from './app.js';
export { loadConfig, settingsFrom, styleNames, type Endpoint, type LoadOptions, type Settings, type Style } from './config/load.js';
export { processEnv, type Env } from './config/env.js';
export { Restyler, type RestyleObserver, type RestyleOptions, type RestyleResult } from './restyle/restyler.js';
export { RestyleError, isRestyleError, toRestyleError, type ErrorCode } from './errors.js';
export { createLogger, silentLogger, type Logger } from './log.js';
export type { Namespace, NamespaceName, Store } from './store/types.js';
