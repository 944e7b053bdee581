import { displayPath } from '../util/paths.js';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Imported eagerly: the build bundles yaml (scripts/bundle.js), which costs less to evaluate when no config file
// exists than its CommonJS files cost to load when one does (bench/startup.bench.ts).
import { LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { RestyleError } from '../errors.js';
import { DEFAULT_DESTYLE_PROMPT, DEFAULT_STYLE_PROMPT, DEFAULTS } from './defaults.js';
import { cleanEnv, cleanEnvValue, type Env } from './env.js';
import { canonicalKey, fileConfigSchema, httpUrl, type FileConfig, type StyleConfig } from './schema.js';
import { keysAt, nearestKey } from './suggest.js';
import { systemErrorLine } from '../util/system-error.js';
import { own } from '../util/own.js';

/** An OpenAI-compatible endpoint and the key for it (resolved from the environment, never from YAML). */
export interface Endpoint {
  baseUrl: string;
  apiKey: string | undefined;
  /** The variable the key comes from, for error messages ("set OPENAI_API_KEY"). */
  apiKeyEnv: string;
}

export interface Style extends Omit<StyleConfig, 'prompt' | 'params' | 'destylerPrompt'> {
  name: string;
  prompt: string;
  params: Record<string, string>;
  destylerPrompt: string;
  endpoint: Endpoint;
  destylerEndpoint: Endpoint;
}

export interface Settings {
  /** The config file as given or defaulted, relative to cwd when inside it (for messages). */
  configPath: string;
  configFound: boolean;
  styles: Record<string, Style>;
  /** Channel mappings from the file; mappings made in chat live in the store and win. */
  channels: Record<string, string>;
  restyle: FileConfig['restyle'];
  llm: FileConfig['llm'];
  bot: FileConfig['bot'];
  corpus: FileConfig['corpus'] & { endpoint: Endpoint };
  eval: FileConfig['eval'];
  privacy: FileConfig['privacy'];
  safety: FileConfig['safety'];
  rateLimits: FileConfig['rateLimits'];
  queue: FileConfig['queue'];
  /** The default endpoint (OPENAI_BASE_URL / OPENAI_API_KEY). */
  openai: Endpoint;
  store: { redisUrl: string | undefined; dataDir: string; sqlitePath: string; connectTimeoutMs: number };
  slack: { botToken?: string; signingSecret?: string; appToken?: string; apiUrl: string };
  discord: { botToken?: string; clientId?: string; apiUrl: string };
  http: FileConfig['http'] & { port: number; apiToken?: string; metricsToken?: string };
  /** The styling proxy: its upstream endpoint and the caller tokens (resolved from the environment) bound to styles. */
  proxy: Omit<FileConfig['proxy'], 'baseUrl' | 'apiKeyEnv' | 'tokens'> & { upstream: Endpoint; tokens: ProxyToken[] };
  logLevel: string;
}

/** A caller token that picks a style on the proxy; `variable` names where it came from (for messages). */
export interface ProxyToken {
  variable: string;
  token: string;
  style: string;
}

export interface LoadOptions {
  env: Env;
  /** `--config`; else RESTYLE_CONFIG; else config/restyle.yaml (which may be absent). */
  path?: string;
  cwd?: string;
}

/**
 * Read, validate and resolve the configuration. Every failure is a `RestyleError` whose message names
 * the file and the field (`config/restyle.yaml: styles.pirate.model: required`) or the line:column of
 * broken YAML.
 */
export function loadConfig({ env, path, cwd = process.cwd() }: LoadOptions): Settings {
  const explicit = path ?? (cleanEnvValue(env.RESTYLE_CONFIG ?? '') || undefined);
  const file = resolve(cwd, explicit ?? DEFAULTS.configPath);
  const shown = displayPath(file, cwd);
  let raw: unknown = {};
  let configFound = false;
  if (existsSync(file)) {
    configFound = true;
    raw = parseYaml(readConfigFile(file, shown), shown);
  } else if (explicit) {
    throw new RestyleError('config_not_found', `${shown}: config file not found`, { details: { file: shown } });
  }
  return resolveSettings(validate(raw, shown), env, { configPath: shown, configFound, cwd });
}

/** Settings from a config object instead of a file (tests, embedding restyle as a library). */
export function settingsFrom(raw: unknown, env: Env, cwd: string = process.cwd(), source = 'config'): Settings {
  return resolveSettings(validate(raw, source), env, { configPath: source, configFound: true, cwd });
}

/** Validate an already-parsed config object (used by tests and by `loadConfig`). */
export function validate(raw: unknown, source = 'config'): FileConfig {
  // `styles:` with every entry commented out parses as null: read it as "none yet", not as an error.
  const cleaned = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) : raw;
  // reportInput: without it zod leaves `input` out, and a wrong type ("fast" for a number) read as `required`.
  const result = fileConfigSchema.safeParse(cleaned ?? {}, { reportInput: true });
  if (result.success) return result.data;
  // Every problem at once, on one line, so one edit fixes the file; an unknown key first, as it often
  // explains a "required" beside it (`modle:` for `model:`).
  // Each message once: an unknown key's walks the schema for the key it most likely meant.
  const issues = [...result.error.issues]
    .sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'))
    .map((i) => ({ field: formatPath(i.path), message: issueMessage(i) }));
  const shown = issues.slice(0, MAX_SHOWN_ISSUES).map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`);
  if (issues.length > MAX_SHOWN_ISSUES) shown.push(`… and ${issues.length - MAX_SHOWN_ISSUES} more`);
  throw new RestyleError('config_invalid', `${source}: ${shown.join('; ')}`, {
    details: { file: source, field: issues[0]!.field, issues: issues.map((i) => `${i.field}: ${i.message}`) },
  });
}

/** The config file's text; a folder or an unreadable file is a config error naming it. */
function readConfigFile(file: string, shown: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RestyleError('config_invalid', systemErrorLine(error, shown) ?? `${shown}: ${(error as Error).message}`, { details: { file: shown }, cause: error });
  }
}

/** Problems a config error lists in its message (all are in `details.issues`). */
const MAX_SHOWN_ISSUES = 5;

function parseYaml(text: string, shown: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    const first = error.message.split('\n')[0];
    throw new RestyleError('config_invalid', `${shown}:${pos.line}:${pos.col}: ${first}`, {
      details: { file: shown, line: pos.line, column: pos.col },
    });
  }
  try {
    return doc.toJS() ?? {};
  } catch (error) {
    // Semantic YAML errors (an alias to an anchor that doesn't exist) only show up when converting.
    throw new RestyleError('config_invalid', `${shown}: ${(error as Error).message.split('\n')[0]}`, { details: { file: shown }, cause: error });
  }
}

function resolveSettings(cfg: FileConfig, rawEnv: Env, meta: { configPath: string; configFound: boolean; cwd: string }): Settings {
  const env = cleanEnv(rawEnv);
  // Checked at start, as the config's base URLs are; the value is not echoed (it may carry credentials).
  const baseUrlCheck = env.OPENAI_BASE_URL ? httpUrl.safeParse(env.OPENAI_BASE_URL) : undefined;
  if (baseUrlCheck && !baseUrlCheck.success) {
    throw new RestyleError('config_invalid', `OPENAI_BASE_URL: ${baseUrlCheck.error.issues[0]!.message}`, { details: { field: 'OPENAI_BASE_URL' } });
  }
  const openai: Endpoint = {
    baseUrl: trimSlash(env.OPENAI_BASE_URL || DEFAULTS.openaiBaseUrl),
    apiKey: env.OPENAI_API_KEY || undefined,
    apiKeyEnv: 'OPENAI_API_KEY',
  };
  const endpointFor = (baseUrl: string | undefined, apiKeyEnv: string | undefined): Endpoint => {
    if (!baseUrl && !apiKeyEnv) return openai;
    const keyName = apiKeyEnv ?? 'OPENAI_API_KEY';
    return { baseUrl: trimSlash(baseUrl ?? openai.baseUrl), apiKey: env[keyName] || undefined, apiKeyEnv: keyName };
  };
  const styles: Record<string, Style> = {};
  for (const [name, s] of Object.entries(cfg.styles)) {
    const endpoint = endpointFor(s.baseUrl, s.apiKeyEnv);
    styles[name] = {
      ...s,
      name,
      prompt: s.prompt ?? DEFAULT_STYLE_PROMPT,
      params: s.params ?? {},
      destylerPrompt: s.destylerPrompt ?? DEFAULT_DESTYLE_PROMPT,
      endpoint,
      destylerEndpoint: s.destylerBaseUrl ? endpointFor(s.destylerBaseUrl, s.apiKeyEnv) : endpoint,
    };
  }
  const dataDir = resolve(meta.cwd, env.RESTYLE_DATA_DIR || DEFAULTS.dataDir);
  const port = env.PORT ? Number(env.PORT) : DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RestyleError('config_invalid', `PORT: must be a port number 0-65535, got "${env.PORT}"`, { details: { field: 'PORT' } });
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new RestyleError('config_invalid', 'REDIS_URL: must start with redis:// or rediss://', { details: { field: 'REDIS_URL' } });
  }
  return {
    configPath: meta.configPath,
    configFound: meta.configFound,
    styles,
    // Every Slack id the file names, as Slack writes it (channels, people), not only the channel map's.
    channels: Object.fromEntries(Object.entries(cfg.channels).map(([key, style]) => [canonicalKey(key), style])),
    restyle: cfg.restyle,
    llm: cfg.llm,
    bot: {
      ...cfg.bot,
      admins: cfg.bot.admins.map(canonicalKey),
      reviewers: cfg.bot.reviewers.map(canonicalKey),
      ...(cfg.bot.allowChannels ? { allowChannels: cfg.bot.allowChannels.map(canonicalKey) } : {}),
    },
    corpus: { ...cfg.corpus, endpoint: endpointFor(cfg.corpus.editorBaseUrl, undefined) },
    eval: cfg.eval,
    privacy: cfg.privacy,
    safety: { ...cfg.safety, allowBroadcast: cfg.safety.allowBroadcast.map(canonicalKey) },
    rateLimits: cfg.rateLimits,
    queue: cfg.queue,
    openai,
    store: {
      redisUrl,
      dataDir,
      sqlitePath: join(dataDir, DEFAULTS.sqliteFile),
      connectTimeoutMs: DEFAULTS.store.connectTimeoutMs,
    },
    slack: {
      botToken: env.SLACK_BOT_TOKEN || undefined,
      signingSecret: env.SLACK_SIGNING_SECRET || undefined,
      appToken: env.SLACK_APP_TOKEN || undefined,
      apiUrl: env.SLACK_API_URL || DEFAULTS.slackApiUrl,
    },
    discord: {
      botToken: env.DISCORD_BOT_TOKEN || undefined,
      clientId: env.DISCORD_CLIENT_ID || undefined,
      apiUrl: trimSlash(env.DISCORD_API_URL || DEFAULTS.discordApiUrl),
    },
    http: { ...cfg.http, port, apiToken: env.RESTYLE_API_TOKEN || undefined, metricsToken: env.RESTYLE_METRICS_TOKEN || undefined },
    proxy: resolveProxy(cfg.proxy, env, endpointFor),
    logLevel: logLevel(env.LOG_LEVEL),
  };
}

/** pino's levels: an unknown one would stop every command with pino's own words, not naming the variable. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(value: string | undefined): string {
  if (!value) return DEFAULTS.logLevel;
  const level = value.toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new RestyleError('config_invalid', `LOG_LEVEL: "${value.slice(0, 40)}" is not a log level; use one of ${LOG_LEVELS.join(', ')}`, { details: { field: 'LOG_LEVEL' } });
  }
  return level;
}

function resolveProxy(cfg: FileConfig['proxy'], env: Env, endpointFor: (baseUrl: string | undefined, apiKeyEnv: string | undefined) => Endpoint): Settings['proxy'] {
  const { baseUrl, apiKeyEnv, tokens, ...rest } = cfg;
  const resolved: ProxyToken[] = [];
  for (const [variable, style] of Object.entries(tokens)) {
    const token = env[variable];
    // A mapping whose variable is unset grants nothing; `restyle doctor` is where that shows up.
    if (token) resolved.push({ variable, token, style });
  }
  return { ...rest, upstream: endpointFor(baseUrl, apiKeyEnv), tokens: resolved };
}

/**
 * Whether calls to this endpoint need a key: always for OpenAI's own API and when the config names a key
 * variable (`apiKeyEnv`); not for another server reached with the default OPENAI_API_KEY unset — a keyless
 * Ollama or vLLM, where the base URL alone is enough.
 */
export function apiKeyRequired(endpoint: Pick<Endpoint, 'baseUrl' | 'apiKeyEnv'>): boolean {
  if (endpoint.apiKeyEnv !== 'OPENAI_API_KEY') return true;
  try {
    return /(^|\.)openai\.com$/i.test(new URL(endpoint.baseUrl).hostname);
  } catch {
    return true;
  }
}

/** What the SDK sends to a keyless server (it insists on some key; such servers ignore it). */
const NO_KEY = 'no-key';

/** The endpoint's key, a stand-in for a keyless server, or a clear error naming the variable to set. */
/** The endpoint's key, or a clear error naming the variable to set. */
export function requireApiKey(endpoint: Endpoint): string {
  if (endpoint.apiKey) return endpoint.apiKey;
  if (!apiKeyRequired(endpoint)) return NO_KEY;
  throw new RestyleError('env_missing', `${endpoint.apiKeyEnv} is not set: export it or put it in .env (needed for ${endpoint.baseUrl})`, {
    details: { variable: endpoint.apiKeyEnv },
  });
}

/**
 * Every secret the settings hold (API keys of every endpoint, chat tokens, API and proxy tokens): what the
 * logger redacts. One list, so a new endpoint or token cannot be logged by one command and not another.
 */
export function secretsOf(settings: Settings): string[] {
  const endpoints = [settings.openai, settings.corpus.endpoint, settings.proxy.upstream, ...Object.values(settings.styles).flatMap((s) => [s.endpoint, s.destylerEndpoint])];
  const all = [
    ...endpoints.map((e) => e.apiKey),
    settings.slack.botToken,
    settings.slack.signingSecret,
    settings.slack.appToken,
    settings.discord.botToken,
    settings.http.apiToken,
    settings.http.metricsToken,
    ...settings.proxy.tokens.map((t) => t.token),
  ];
  return [...new Set(all.filter((s): s is string => typeof s === 'string' && s !== ''))];
}

export function styleNames(settings: Pick<Settings, 'styles'>): string[] {
  return Object.keys(settings.styles).sort();
}

/** The named style, or `style_unknown` listing the known ones. */
export function getStyle(settings: Pick<Settings, 'styles'>, name: string): Style {
  const style = own(settings.styles, name);
  if (style) return style;
  const known = styleNames(settings);
  throw new RestyleError('style_unknown', `unknown style "${name}"; known styles: ${known.length ? known.join(', ') : '(none — add one under styles: in the config)'}`, {
    details: { style: name, known },
  });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_type') return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${shownInput(issue.input)}`;
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(fileConfigSchema, issue.path);
    const named = issue.keys.map((k) => {
      const near = nearestKey(k, allowed.filter((a) => !issue.keys.includes(a)));
      return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
    });
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${named.join(', ')}`;
  }
  return issue.message;
}


const TYPE_NAMES: Record<string, string> = { number: 'a number', int: 'a whole number', string: 'text', boolean: 'true or false', object: 'a mapping (key: value)', array: 'a list', record: 'a mapping (key: value)' };

/** The offending value, short, for "expected a number, got \"fast\"". */
function shownInput(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
