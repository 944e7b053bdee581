import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

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
    if (existsSync(file)) for (const [name, value] of Object.entries(readEnvFile(file))) process.env[name] ??= value;
  }
  return process.env as Env;
}

/** A `.env` file's variables as `process.loadEnvFile` reads them, except that a byte-order mark (Notepad's UTF-8) does not become part of the first name. */
export function readEnvFile(file: string): Record<string, string> {
  return parseEnv(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as Record<string, string>;
}

/**
 * A value as written in a shell, a docker `--env-file` or a systemd unit, where spaces around it and one pair
 * of quotes are easily copied in (`OPENAI_BASE_URL="http://…/v1" `): neither is part of a URL, a token or a path.
 */
export function cleanEnvValue(value: string): string {
  const trimmed = value.trim();
  const quoted = trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.at(-1) === trimmed[0];
  return quoted ? trimmed.slice(1, -1).trim() : trimmed;
}

/** `env` with every value cleaned (`cleanEnvValue`). */
export function cleanEnv(env: Env): Env {
  const out: Env = {};
  for (const [name, value] of Object.entries(env)) out[name] = value === undefined ? undefined : cleanEnvValue(value);
  return out;
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
