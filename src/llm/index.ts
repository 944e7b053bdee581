export { LlmClient, type LlmClientOptions } from './client.js';
export { LlmPool, type LlmPoolOptions } from './pool.js';
export { RateLimiter, type RateLimiterOptions, type LimiterStats, type Release } from './limiter.js';
export { UsageMeter, type ModelUsage, type UsageSnapshot } from './usage.js';
export { toLlmError, shouldRetry, backoffMs, parseRetryAfter, MAX_RETRY_AFTER_MS, type LlmErrorContext } from './errors.js';
export { countTokens, countMessageTokens, estimateTokens, estimateMessageTokens } from './tokens.js';
export type { ChatMessage, ChatRequest, ChatResult, TokenUsage } from './types.js';
