import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The environment restyle reads, typed. The only place in the code base that touches `process.env`
 * (besides `load.ts`, which resolves per-style `apiKeyEnv` names): everything else gets an `Env`.
 */
export interface Env {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  REDIS_URL?: string;
  RESTYLE_DATA_DIR?: string;
  RESTYLE_CONFIG?: string;
  RESTYLE_API_TOKEN?: string;
  /** Bearer token for GET /metrics (else RESTYLE_API_TOKEN). */
  RESTYLE_METRICS_TOKEN?: string;
  SLACK_BOT_TOKEN?: string;
  SLACK_SIGNING_SECRET?: string;
  SLACK_APP_TOKEN?: string;
  SLACK_API_URL?: string;
  DISCORD_BOT_TOKEN?: string;
  DISCORD_CLIENT_ID?: string;
  DISCORD_API_URL?: string;
  PORT?: string;
  LOG_LEVEL?: string;
  /** Every other variable, for `apiKeyEnv` look-ups. */
  [name: string]: string | undefined;
}

let dotenvLoaded = false;

/**
 * The process environment, after reading `.env` in the working directory if there is one
 * (values already set in the environment win, as with dotenv).
 */
export function processEnv(cwd: string = process.cwd()): Env {
  if (!dotenvLoaded) {
    dotenvLoaded = true;
    const file = resolve(cwd, '.env');
    if (existsSync(file)) process.loadEnvFile(file);
  }
  return process.env as Env;
}

/** Names of the secrets we must never print; used by the logger's redaction and by tests. */
export const SECRET_ENV_NAMES = [
  'OPENAI_API_KEY',
  'RESTYLE_API_TOKEN',
  'RESTYLE_METRICS_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_BOT_TOKEN',
] as const;
