/**
 * Every default restyle uses, in one place (like discord.js's Options.js): change a default here and
 * the schema, the CLI help and the docs follow.
 */
export const DEFAULT_STYLE_PROMPT = 'Please, rewrite the provided text in your style:';

export const DEFAULT_DESTYLE_PROMPT = 'Please, rewrite the provided text in a neutral style:';

/** The seed's editor prompt, in our words: strip the style, keep every detail. */
export const DEFAULT_EDITOR_PROMPT =
  'You are a highly professional editor with 25 years of experience in linguistics. ' +
  'Rewrite the given excerpt of text to remove all stylistic particularities and make it as neutral as possible, ' +
  'preserving all the details, facts and nuances present in the text. Keep every number, name, URL and code span exactly. ' +
  'Reply with the rewritten text only.';

export const DEFAULTS = {
  configPath: 'config/restyle.yaml',
  dataDir: 'data',
  sqliteFile: 'restyle.sqlite',
  port: 3000,
  openaiBaseUrl: 'https://api.openai.com/v1',
  slackApiUrl: 'https://slack.com/api/',
  discordApiUrl: 'https://discord.com/api',
  logLevel: 'info',
  restyle: {
    /** Texts longer than this are refused with `text_too_long`. */
    maxChars: 40_000,
    /** Blocks of one answer styled at once. */
    blockConcurrency: 16,
    /** Budget for a whole answer, all blocks and retries included. */
    deadlineMs: 30_000,
    /** Budget for one model request. */
    requestTimeoutMs: 20_000,
    /** Retries of one model request on 429, 5xx, timeouts and dropped connections. */
    maxRetries: 2,
    /** `original`: on failure return the input flagged unstyled; `error`: throw. */
    onError: 'original' as 'original' | 'error',
    cacheTtlSeconds: 7 * 24 * 3600,
    /** A block is at most this many paragraphs and (unless one paragraph is longer) characters. */
    maxBlockParagraphs: 3,
    maxBlockChars: 1_500,
    /** Most model calls one answer may make: past it, short paragraphs are grouped into bigger blocks. */
    maxBlocks: 32,
    temperature: 0.7,
  },
  llm: {
    /** Requests in flight per endpoint, across all callers of the process. */
    concurrency: 16,
    /** 0 = unlimited. */
    rpm: 0,
    tpm: 0,
  },
  store: {
    /** Redis connect timeout: a down Redis must fail within this, never hang. */
    connectTimeoutMs: 3_000,
  },
  bot: {
    reactions: { sample: 'star', approve: '+1', reject: '-1' },
    /** The longest answer posted (`bot.answer.maxChars`): the most the filter styles (restyle.maxChars). */
    answerMaxChars: 40_000,
  },
  /** Per-caller limits (`points` per `durationSeconds`; 0 points = off), answered 429 / a polite note. */
  rateLimits: {
    /** /v1/* per API token (or per address when no token is set). */
    api: { points: 120, durationSeconds: 60 },
    /** `/restyle` per user. */
    restyle: { points: 20, durationSeconds: 60 },
    /** Automatic replies (mentions, DMs) per user. */
    replies: { points: 20, durationSeconds: 60 },
  },
  proxy: {
    /**
     * The largest upstream body the proxy reads into memory (and, streamed, the largest single SSE event).
     * 32 MiB holds the longest answer a chat model gives (100k output tokens are under 1 MiB of JSON) many
     * times over, with room for several choices and logprobs, while an upstream that never stops sending
     * cannot grow the process past it.
     */
    maxResponseBytes: 32 * 1024 * 1024,
  },
  http: {
    /** Serve /metrics without a token even when RESTYLE_API_TOKEN is set. */
    publicMetrics: false,
    /** POST /slack/events, checked before a request's signature can be verified. */
    slack: {
      /** Slack never sends more; refused by Content-Length up front and by a running count. */
      bodyLimitBytes: 1024 * 1024,
      /** A body not fully received by then is cut off (408). */
      bodyTimeoutMs: 5_000,
      /** Unverified bodies being read at once (over it: 503 + Retry-After), in all and per address. */
      maxUnverified: 128,
      maxUnverifiedPerAddress: 16,
      /** Bytes of unverified bodies held at once (over it: 503 + Retry-After). */
      maxUnverifiedBytes: 32 * 1024 * 1024,
      /** How far X-Slack-Request-Timestamp may be from now, either way. */
      maxClockSkewSeconds: 300,
    },
  },
} as const;
