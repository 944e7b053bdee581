import * as z from 'zod';
import { DEFAULTS } from './defaults.js';

/** Style names appear in commands (`style=pirate`) and keys: keep them simple. */
export const STYLE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
/** `slack:C0123ABC`, `discord:112233445566778899`, or `default` (the fallback for unmapped channels). */
export const CHANNEL_KEY = /^(?:(?:slack|discord):[A-Za-z0-9_-]+|default)$/;

/** A user name or password in a base URL would be printed with it, in errors, logs and API answers. */
const withCredentials = (url: string): boolean => {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
};

// http(s) only: the OpenAI SDK speaks nothing else, and an ftp:// or file: address would only fail per request.
export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL such as http://localhost:11434/v1' })
  .refine((url) => !withCredentials(url), 'must not carry a user name or password (they would show in errors and logs): put the key in the environment (OPENAI_API_KEY, or the variable apiKeyEnv names)');

export const styleSchema = z
  .object({
    model: z.string({ error: 'required' }).min(1, 'required'),
    baseUrl: httpUrl.optional(),
    /** Name of the environment variable holding this endpoint's key (never the key itself). */
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    prompt: z.string().min(1).optional(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    destyler: z.string().min(1).optional(),
    destylerBaseUrl: httpUrl.optional(),
    destylerPrompt: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
    description: z.string().optional(),
  })
  .strict();

const restyleSchema = z
  .object({
    maxChars: z.number().int().positive().default(DEFAULTS.restyle.maxChars),
    blockConcurrency: z.number().int().positive().max(64).default(DEFAULTS.restyle.blockConcurrency),
    deadlineMs: z.number().int().positive().default(DEFAULTS.restyle.deadlineMs),
    requestTimeoutMs: z.number().int().positive().default(DEFAULTS.restyle.requestTimeoutMs),
    maxRetries: z.number().int().min(0).max(10).default(DEFAULTS.restyle.maxRetries),
    onError: z.enum(['original', 'error']).default(DEFAULTS.restyle.onError),
    cacheTtlSeconds: z.number().int().min(0).default(DEFAULTS.restyle.cacheTtlSeconds),
    maxBlockParagraphs: z.number().int().min(1).max(10).default(DEFAULTS.restyle.maxBlockParagraphs),
    maxBlockChars: z.number().int().min(100).default(DEFAULTS.restyle.maxBlockChars),
    maxBlocks: z.number().int().positive().default(DEFAULTS.restyle.maxBlocks),
    temperature: z.number().min(0).max(2).default(DEFAULTS.restyle.temperature),
  })
  .strict();

const llmSchema = z
  .object({
    concurrency: z.number().int().positive().default(DEFAULTS.llm.concurrency),
    rpm: z.number().int().min(0).default(DEFAULTS.llm.rpm),
    tpm: z.number().int().min(0).default(DEFAULTS.llm.tpm),
  })
  .strict();

const answerSchema = z
  .object({
    source: z.enum(['none', 'openai', 'webhook']).default('none'),
    model: z.string().optional(),
    systemPrompt: z.string().optional(),
    baseUrl: httpUrl.optional(),
    url: httpUrl.optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    /** Stream answers into the thread as they are written and styled (docs/streaming.md). */
    stream: z.boolean().default(false),
    /** The longest answer posted: past it the answer is cut with a note (a looping model must not flood the thread). */
    maxChars: z.number().int().min(100).default(DEFAULTS.bot.answerMaxChars),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.source === 'openai' && !a.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'required when source is openai' });
    if (a.source === 'webhook' && !a.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when source is webhook' });
  });

const botSchema = z
  .object({
    answer: answerSchema.default({ source: 'none', timeoutMs: 30_000, stream: false, maxChars: DEFAULTS.bot.answerMaxChars }),
    reactions: z
      .object({
        sample: z.string().min(1).default(DEFAULTS.bot.reactions.sample),
        approve: z.string().min(1).default(DEFAULTS.bot.reactions.approve),
        reject: z.string().min(1).default(DEFAULTS.bot.reactions.reject),
      })
      .strict()
      .default({ ...DEFAULTS.bot.reactions }),
    /** Users (`slack:U…`, `discord:…`) allowed to map channels, besides workspace admins / Manage Server. */
    admins: z.array(z.string()).default([]),
    /** Users allowed to review samples. */
    reviewers: z.array(z.string()).default([]),
    /** Discord roles (ids) that may map channels / review. */
    adminRoles: z.array(z.string()).default([]),
    reviewerRoles: z.array(z.string()).default([]),
    /** When set, the bot only acts in these channels (`slack:C…`, `discord:…`). */
    allowChannels: z.array(z.string()).optional(),
  })
  .strict();

const corpusSchema = z
  .object({
    editorModel: z.string().default('gpt-4.1'),
    editorBaseUrl: httpUrl.optional(),
    editorPrompt: z.string().min(1).optional(),
    /** USD per 1M training tokens, for the report's cost estimate. */
    trainingPricePerMTok: z.number().min(0).default(5),
    /** USD per 1M editor tokens (input, output), for the progress bar's spend (defaults: gpt-4.1). */
    editorPricePerMTok: z.object({ input: z.number().min(0), output: z.number().min(0) }).strict().default({ input: 2, output: 8 }),
    /** What a zip export may unpack to (zip bombs); defaults and why: src/corpus/zip.ts ZIP_DEFAULTS. */
    zip: z
      .object({ maxEntryMB: z.number().positive().default(256), maxTotalMB: z.number().positive().default(4096), maxRatio: z.number().positive().default(100) })
      .strict()
      .default({ maxEntryMB: 256, maxTotalMB: 4096, maxRatio: 100 }),
    /** Text and .json inputs are read whole; bigger ones are skipped with that reason (.jsonl streams, no cap). */
    maxFileMB: z.number().positive().default(64),
  })
  .strict();

/** `restyle eval` pass/fail limits (scores 0–100, rates 0–1); flags override. See src/eval/thresholds.ts. */
const evalThresholdsSchema = z
  .object({
    minChrf: z.number().min(0).max(100).optional(),
    minBleu: z.number().min(0).max(100).optional(),
    minChrfInput: z.number().min(0).max(100).optional(),
    minStyleAccuracy: z.number().min(0).max(1).optional(),
    maxFallbackRate: z.number().min(0).max(1).optional(),
    minLengthRatio: z.number().min(0).optional(),
    maxLengthRatio: z.number().min(0).optional(),
    maxErrorRate: z.number().min(0).max(1).optional(),
    noWorse: z.boolean().optional(),
  })
  .strict();

const evalSchema = z
  .object({
    thresholds: evalThresholdsSchema.default({}),
    /** Per-style thresholds, over `thresholds`. */
    styles: z.record(z.string(), evalThresholdsSchema).default({}),
  })
  .strict();

const privacySchema = z
  .object({
    /** Days to keep samples and 👍/👎 verdicts saved from chat; unset keeps them until forgotten. */
    retentionDays: z.number().int().positive().optional(),
  })
  .strict();

/** Mentions the bot may post (docs/operations.md, Security → Mentions). */
const safetySchema = z
  .object({
    /** Channels (`slack:C…`, `discord:…`) where broadcast and group mentions the asker wrote may ping; none by default. */
    allowBroadcast: z.array(z.string().regex(CHANNEL_KEY, 'channel keys look like slack:C0123ABC or discord:1122…')).default([]),
  })
  .strict();

/**
 * The OpenAI-compatible styling proxy (`POST /v1/chat/completions`): requests go to `upstream` (default: the
 * OPENAI_BASE_URL endpoint) and the assistant's text comes back restyled.
 */
const proxySchema = z
  .object({
    /** Where chat completions really go; its key comes from `apiKeyEnv` (default OPENAI_API_KEY). */
    baseUrl: httpUrl.optional(),
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    /** The style when neither the model name (`pirate/gpt-4.1-mini`), the header nor the token picks one. */
    defaultStyle: z.string().regex(STYLE_NAME, 'style names are letters, digits, - and _').optional(),
    /** The upstream model for a request whose model is a bare style name (`"model": "pirate"`). */
    defaultModel: z.string().min(1).optional(),
    /**
     * Caller tokens bound to a style: the environment variable holding the token → the style. A caller using
     * such a token (as its OpenAI API key) is authorised for the proxy and gets that style.
     */
    tokens: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'keys are environment variable names'), z.string()).default({}),
    /** Largest request body (chat histories can be long). */
    bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024),
    /** Upstream request timeout. */
    timeoutMs: z.number().int().positive().default(120_000),
    /** Largest upstream body read (past it: 502, upstream cancelled); for streams, the largest single SSE event. */
    maxResponseBytes: z.number().int().positive().default(DEFAULTS.proxy.maxResponseBytes),
  })
  .strict();

const rateSchema = (d: { points: number; durationSeconds: number }) =>
  z
    .object({ points: z.number().int().min(0).default(d.points), durationSeconds: z.number().int().positive().default(d.durationSeconds) })
    .strict()
    .default({ ...d });

const rateLimitsSchema = z
  .object({
    api: rateSchema(DEFAULTS.rateLimits.api),
    restyle: rateSchema(DEFAULTS.rateLimits.restyle),
    replies: rateSchema(DEFAULTS.rateLimits.replies),
  })
  .strict();

const httpSchema = z
  .object({
    publicMetrics: z.boolean().default(DEFAULTS.http.publicMetrics),
    slack: z
      .object({
        bodyLimitBytes: z.number().int().positive().default(DEFAULTS.http.slack.bodyLimitBytes),
        bodyTimeoutMs: z.number().int().positive().default(DEFAULTS.http.slack.bodyTimeoutMs),
        maxUnverified: z.number().int().positive().default(DEFAULTS.http.slack.maxUnverified),
        maxUnverifiedPerAddress: z.number().int().positive().default(DEFAULTS.http.slack.maxUnverifiedPerAddress),
        maxUnverifiedBytes: z.number().int().positive().default(DEFAULTS.http.slack.maxUnverifiedBytes),
        maxClockSkewSeconds: z.number().int().positive().max(300).default(DEFAULTS.http.slack.maxClockSkewSeconds),
      })
      .strict()
      .default({ ...DEFAULTS.http.slack }),
  })
  .strict();

/** Durable work (src/queue): how long a dead worker's job waits before another takes it, retries, concurrency. */
const queueSchema = z
  .object({
    leaseMs: z.number().int().min(500).default(30_000),
    attempts: z.number().int().min(1).max(100).default(8),
    backoffMs: z.number().int().min(10).default(1_000),
    concurrency: z.number().int().min(1).max(256).default(32),
  })
  .strict();

export const fileConfigSchema = z
  .object({
    styles: z
      .record(z.string().regex(STYLE_NAME, 'style names are letters, digits, - and _'), styleSchema)
      .default({}),
    channels: z.record(z.string().regex(CHANNEL_KEY, 'channel keys look like slack:C0123ABC or discord:1122…'), z.string()).default({}),
    restyle: restyleSchema.default(restyleSchema.parse({})),
    llm: llmSchema.default(llmSchema.parse({})),
    bot: botSchema.default(botSchema.parse({})),
    corpus: corpusSchema.default(corpusSchema.parse({})),
    eval: evalSchema.default(evalSchema.parse({})),
    privacy: privacySchema.default({}),
    safety: safetySchema.default({ allowBroadcast: [] }),
    proxy: proxySchema.default(proxySchema.parse({})),
    http: httpSchema.default(httpSchema.parse({})),
    rateLimits: rateLimitsSchema.default(rateLimitsSchema.parse({})),
    queue: queueSchema.default(queueSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const styleIssue = (path: Array<string | number>, style: string) => {
      const known = Object.keys(cfg.styles);
      ctx.addIssue({ code: 'custom', path, message: `unknown style "${style}"${known.length ? ` (known: ${known.join(', ')})` : ' (no styles defined)'}` });
    };
    if (cfg.proxy.defaultStyle && !Object.hasOwn(cfg.styles, cfg.proxy.defaultStyle)) styleIssue(['proxy', 'defaultStyle'], cfg.proxy.defaultStyle);
    for (const [variable, style] of Object.entries(cfg.proxy.tokens)) {
      if (!Object.hasOwn(cfg.styles, style)) styleIssue(['proxy', 'tokens', variable], style);
    }
    const seen = new Map<string, string>();
    for (const [channel, style] of Object.entries(cfg.channels)) {
      if (!Object.hasOwn(cfg.styles, style)) styleIssue(['channels', channel], style);
      // Two spellings of one Slack channel would silently leave only one of their styles.
      const key = canonicalKey(channel);
      const same = seen.get(key);
      if (same !== undefined) ctx.addIssue({ code: 'custom', path: ['channels', channel], message: `names the same Slack channel as "${same}" (Slack ids are upper case); keep one` });
      else seen.set(key, channel);
    }
  });

/**
 * A platform-qualified channel or user id as the platform writes it. Slack's ids are upper case (C0123ABC,
 * U0123ABC): `slack:c0123abc` as typed would never match a message's channel or a person.
 */
export function canonicalKey(key: string): string {
  return key.startsWith('slack:') ? `slack:${key.slice(6).toUpperCase()}` : key;
}

export type FileConfig = z.output<typeof fileConfigSchema>;
export type StyleConfig = z.output<typeof styleSchema>;
export type RestyleSettings = FileConfig['restyle'];
export type LlmSettings = FileConfig['llm'];
export type BotSettings = FileConfig['bot'];
export type CorpusSettings = FileConfig['corpus'];
export type EvalSettings = FileConfig['eval'];
export type SafetySettings = FileConfig['safety'];
export type ProxyConfig = FileConfig['proxy'];
export type HttpSettings = FileConfig['http'];
export type RateLimitSettings = FileConfig['rateLimits'];
