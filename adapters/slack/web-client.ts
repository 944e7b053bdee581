import type { webApi } from '@slack/bolt';

/**
 * Slack's client defaults are no request timeout and 10 retries over about 30 minutes: a hung call would
 * hold an answer (and shutdown) for that long. The bot's own posts get a bounded minute; each call 30 s.
 */
export const WEB_API_TIMEOUT_MS = 30_000;
export const BOT_RETRIES = { retries: 5, factor: 2, minTimeout: 1_000, maxTimeout: 10_000, randomize: true };
export const POST_RETRIES = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000, randomize: true };

/** The Web API client options every Slack client of the bot uses (`extra` from tests: `retryConfig: {retries: 0}`). */
export function webClientOptions(apiUrl: string, fetchFn: typeof fetch, extra?: Partial<webApi.WebClientOptions>): webApi.WebClientOptions {
  return { slackApiUrl: apiUrl, timeout: WEB_API_TIMEOUT_MS, retryConfig: BOT_RETRIES, ...extra, fetch: extra?.fetch ?? fetchFn };
}
