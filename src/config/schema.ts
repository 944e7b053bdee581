import { z } from 'zod';
import { DEFAULTS } from './defaults.js';

/** Style names appear in commands (`style=pirate`) and keys: keep them simple. */
export const STYLE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
/** `slack:C0123ABC`, `discord:112233445566778899`, or `default` (the fallback for unmapped channels). */
export const CHANNEL_KEY = /^(?:(?:slack|discord):[A-Za-z0-9_-]+|default)$/;

const url = z.string().url('must be a URL such as http://localhost:11434/v1');

export const styleSchema = z
  .object({
    model: z.string({ error: 'required' }).min(1, 'required'),
    baseUrl: url.optional(),
    /** Name of the environment variable holding this endpoint's key (never the key itself). */
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    prompt: z.string().min(1).optional(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    destyler: z.string().min(1).optional(),
    destylerBaseUrl: url.optional(),
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
    baseUrl: url.optional(),
    url: url.optional(),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.source === 'openai' && !a.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'required when source is openai' });
    if (a.source === 'webhook' && !a.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when source is webhook' });
  });

const botSchema = z
  .object({
    answer: answerSchema.default({ source: 'none', timeoutMs: 30_000 }),
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
    editorBaseUrl: url.optional(),
    editorPrompt: z.string().min(1).optional(),
    /** USD per 1M training tokens, for the report's cost estimate. */
    trainingPricePerMTok: z.number().min(0).default(5),
    /** USD per 1M editor tokens (input, output), for the progress bar's spend (defaults: gpt-4.1). */
    editorPricePerMTok: z.object({ input: z.number().min(0), output: z.number().min(0) }).strict().default({ input: 2, output: 8 }),
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
    queue: queueSchema.default(queueSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const [channel, style] of Object.entries(cfg.channels)) {
      if (!(style in cfg.styles)) {
        const known = Object.keys(cfg.styles);
        ctx.addIssue({
          code: 'custom',
          path: ['channels', channel],
          message: `unknown style "${style}"${known.length ? ` (known: ${known.join(', ')})` : ' (no styles defined)'}`,
        });
      }
    }
  });

export type FileConfig = z.output<typeof fileConfigSchema>;
export type StyleConfig = z.output<typeof styleSchema>;
export type RestyleSettings = FileConfig['restyle'];
export type LlmSettings = FileConfig['llm'];
export type BotSettings = FileConfig['bot'];
export type CorpusSettings = FileConfig['corpus'];
export type EvalSettings = FileConfig['eval'];
