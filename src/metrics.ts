import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue, QueueStats } from './queue/types.js';
import type { RestyleObserver } from './restyle/restyler.js';

/**
 * Prometheus metrics (prom-client) on a registry of our own, so tests and several contexts in one process
 * never share counters. The filter reports through its `RestyleObserver` hook; adapters count the rest.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'restyle_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly restyles = new Counter({ name: 'restyle_restyles_total', help: 'Texts through the filter, by outcome (styled, fallback, unstyled) and reason', labelNames: ['outcome', 'reason'] as const, registers: [this.registry] });
  readonly modelLatency = new Histogram({
    name: 'restyle_model_latency_seconds',
    help: 'Style model latency per call',
    labelNames: ['model', 'cached', 'ok'] as const,
    buckets: [0.005, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly tokens = new Counter({ name: 'restyle_tokens_total', help: 'Model tokens used by the filter', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly cache = new Counter({ name: 'restyle_cache_total', help: 'Cache lookups by result', labelNames: ['result'] as const, registers: [this.registry] });
  readonly samplesSaved = new Counter({ name: 'restyle_samples_saved_total', help: 'Training samples saved from chat', labelNames: ['platform', 'source'] as const, registers: [this.registry] });
  readonly dedupeHits = new Counter({ name: 'restyle_dedupe_hits_total', help: 'Repeated events dropped by an atomic claim', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly posts = new Counter({ name: 'restyle_posts_total', help: 'Messages posted through POST /v1/post, by platform and outcome (ok, failed)', labelNames: ['platform', 'outcome'] as const, registers: [this.registry] });
  readonly proxied = new Counter({
    name: 'restyle_proxy_requests_total',
    help: 'Chat completions through the styling proxy, by style ("none" when unstyled), stream (true, false) and outcome (styled, passthrough, upstream_error, failed)',
    labelNames: ['style', 'stream', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'restyle_rate_limited_total',
    help: 'Requests refused by a per-caller rate limit, by kind (api, restyle, replies)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly idempotency = new Counter({
    name: 'restyle_idempotency_total',
    help: 'Requests with an Idempotency-Key answered without running: replayed, in_progress (409), mismatch (422)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private queue: JobQueue | undefined;
  /** Read from the queue at scrape time, so every process reports the shared queue as it is. */
  readonly queueDepth = this.queueGauge('restyle_queue_depth', 'Jobs not finished: waiting, running or waiting for a retry', (s) => s.depth);
  readonly queueOldest = this.queueGauge('restyle_queue_oldest_job_age_seconds', 'Age of the oldest unfinished job', (s) => s.oldestAgeMs / 1000);
  readonly queueRetrying = this.queueGauge('restyle_queue_retrying_jobs', 'Unfinished jobs that failed at least once and wait for another attempt', (s) => s.retrying);
  readonly queueFailed = this.queueGauge('restyle_queue_failed_jobs', 'Jobs in the failed set (see `restyle jobs list`)', (s) => s.failed);

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry, prefix: 'restyle_' });
  }

  /** Report this queue's depth, oldest job age, retries and failures in /metrics. */
  watchQueue(queue: JobQueue): void {
    this.queue = queue;
  }

  private queueGauge(name: string, help: string, pick: (s: QueueStats) => number): Gauge {
    const stats = (): Promise<QueueStats | undefined> => this.queueStats();
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const s = await stats();
        if (s) this.set(pick(s));
      },
    });
  }

  private statsCache: { at: number; value: Promise<QueueStats | undefined> } | undefined;

  /** One read of the queue per scrape (the four gauges share it). */
  private queueStats(): Promise<QueueStats | undefined> {
    if (!this.queue) return Promise.resolve(undefined);
    const now = Date.now();
    if (!this.statsCache || now - this.statsCache.at > 500) this.statsCache = { at: now, value: this.queue.stats().catch(() => undefined) };
    return this.statsCache.value;
  }

  /** The filter's hook: model latency, cache hits, outcomes and tokens. */
  observer(): RestyleObserver {
    return {
      modelCall: ({ model, ms, ok, cached }) => {
        this.modelLatency.observe({ model, cached: String(cached), ok: String(ok) }, ms / 1000);
        if (ok) this.cache.inc({ result: cached ? 'hit' : 'miss' });
      },
      result: (r) => {
        const outcome = r.styled ? (r.fallbacks > 0 ? 'partial' : 'styled') : r.fallbacks > 0 ? 'fallback' : 'unstyled';
        this.restyles.inc({ outcome, reason: r.reason ?? r.error?.code ?? '' });
        this.tokens.inc({ kind: 'prompt' }, r.usage.promptTokens);
        this.tokens.inc({ kind: 'completion' }, r.usage.completionTokens);
      },
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
