import type { Endpoint, Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { sha256 } from '../util/hash.js';
import { LlmClient } from './client.js';
import { RateLimiter } from './limiter.js';
import { UsageMeter } from './usage.js';

export interface LlmPoolOptions {
  /** Limits applied per endpoint: concurrency, rpm, tpm. */
  llm: Settings['llm'];
  restyle: Pick<Settings['restyle'], 'requestTimeoutMs' | 'maxRetries'>;
  fetch?: typeof fetch;
  logger?: Logger;
}

/**
 * One `LlmClient` (and so one SDK instance and one rate limiter) per endpoint, shared by every style,
 * de-styler and corpus run that points at it, so the endpoint's limits hold across all of them.
 *
 * @example
 * const pool = new LlmPool({ llm: settings.llm, restyle: settings.restyle });
 * const { text } = await pool.get(style.endpoint).chat({ model: style.model, messages });
 */
export class LlmPool {
  /** Usage of every client in the pool, per model. */
  readonly usage = new UsageMeter();
  private readonly clients = new Map<string, LlmClient>();

  constructor(private readonly options: LlmPoolOptions) {}

  /** The client for (baseUrl, key): the same instance on every call. */
  get(endpoint: Endpoint): LlmClient {
    // Keyed by a hash so the raw key never sits in a map key (heap dumps, debug printing).
    const key = sha256(endpoint.baseUrl.replace(/\/+$/, ''), endpoint.apiKey ?? '');
    let client = this.clients.get(key);
    if (!client) {
      client = new LlmClient({
        endpoint,
        timeoutMs: this.options.restyle.requestTimeoutMs,
        maxRetries: this.options.restyle.maxRetries,
        limiter: new RateLimiter(this.options.llm),
        usage: this.usage,
        fetch: this.options.fetch,
        logger: this.options.logger,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Clients created so far (for stats: `client.limiter.stats`). */
  list(): LlmClient[] {
    return [...this.clients.values()];
  }
}
