import type { Endpoint, Settings, Style } from '../config/load.js';
import { getStyle } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import type { LimiterStats } from '../llm/limiter.js';
import type { ChatMessage, ChatRequest, ChatResult, TokenUsage } from '../llm/types.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Store } from '../store/types.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { splitBlocks, type Segment } from './blocks.js';
import { ChannelMappings, checkChannel } from './channels.js';
import { addedMentions } from './mentions.js';
import { buildMessages } from './messages.js';
import { LoadEstimator } from './overload.js';
import { protect, restore } from './placeholders.js';
import { own } from '../util/own.js';

/** What the filter needs from the LLM layer (satisfied by `LlmPool`). */
export interface ChatClientProvider {
  get(endpoint: Endpoint): { chat(req: ChatRequest): Promise<ChatResult>; readonly limiter?: { readonly stats: LimiterStats } };
}

export interface RestyleOptions {
  /** Explicit style name; wins over `channel`. */
  style?: string;
  /** Platform-qualified channel (`slack:C0123`) whose mapping picks the style. */
  channel?: string;
  params?: Record<string, string>;
  /** Conversion: de-style with this style's de-styler first. */
  from?: string;
  onError?: 'original' | 'error';
  deadlineMs?: number;
  signal?: AbortSignal;
  /** false: neither read nor write the cache. */
  cache?: boolean;
}

export interface RestyleResult {
  text: string;
  /** True when at least one block came back from the model and was used. */
  styled: boolean;
  style: string | null;
  model: string | null;
  /** Blocks sent to (or answered from cache for) the model; code and whitespace not counted. */
  blocks: number;
  /** Blocks that kept their original text because the reply broke a placeholder or added a mention. */
  fallbacks: number;
  /** Blocks answered from the cache. */
  cached: number;
  usage: TokenUsage;
  /** Why the text is unstyled, when it is (`no_style`, `empty`, or an error code with fail-open). */
  reason?: string;
  error?: { code: string; message: string };
}

/** Hooks for metrics (issue "Operate"); all optional. */
export interface RestyleObserver {
  modelCall?(info: { model: string; ms: number; ok: boolean; cached: boolean }): void;
  result?(result: RestyleResult, ms: number): void;
}

export interface RestylerDeps {
  settings: Pick<Settings, 'styles' | 'channels' | 'restyle'>;
  store: Store;
  llm: ChatClientProvider;
  logger?: Logger;
  observer?: RestyleObserver;
}

interface Step {
  model: string;
  endpoint: Endpoint;
  prompt: { name: string; prompt: string; params: Record<string, string> };
  temperature: number;
  maxTokens?: number;
}

const ZERO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/**
 * The filter: resolve the style, split the text into single-idea blocks, protect what the model must not
 * touch, style the blocks concurrently, restore and rejoin. Never changes meaning, never adds a mention,
 * and by default fails open: on any model error the original text comes back flagged unstyled.
 *
 * @example
 * const restyler = new Restyler({ settings, store, llm: new LlmPool(...) });
 * const { text, styled } = await restyler.restyle(answer, { channel: 'slack:C0123ABC' });
 */
export class Restyler {
  readonly channels: ChannelMappings;
  private readonly logger: Logger;
  private readonly load = new LoadEstimator();

  constructor(private readonly deps: RestylerDeps) {
    this.logger = deps.logger ?? silentLogger();
    this.channels = new ChannelMappings(deps.store, deps.settings.channels, () => Object.keys(deps.settings.styles));
  }

  /** The style that applies: explicit, else the channel's mapping, else `default`; null for none. */
  async resolveStyle(options: Pick<RestyleOptions, 'style' | 'channel'>): Promise<Style | null> {
    const { settings } = this.deps;
    if (options.style) return getStyle(settings, options.style);
    if (options.channel) {
      checkChannel(options.channel);
      const mapping = await this.channels.resolve(options.channel);
      if (mapping?.style) return getStyle(settings, mapping.style);
      return null;
    }
    return own(settings.styles, 'default') ?? null;
  }

  async restyle(text: string, options: RestyleOptions = {}): Promise<RestyleResult> {
    const started = performance.now();
    const cfg = this.deps.settings.restyle;
    const onError = options.onError ?? cfg.onError;
    if (typeof text !== 'string') throw new RestyleError('input_invalid', 'text must be a string');
    if (text.length > cfg.maxChars) {
      throw new RestyleError('text_too_long', `text is ${text.length} characters; the maximum is ${cfg.maxChars} (restyle.maxChars)`, {
        details: { length: text.length, max: cfg.maxChars },
      });
    }
    const unstyled = (reason: string, style: string | null = null, error?: RestyleError): RestyleResult => ({
      text,
      styled: false,
      style,
      model: null,
      blocks: 0,
      fallbacks: 0,
      cached: 0,
      usage: { ...ZERO_USAGE },
      reason,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
    if (text.trim() === '') return this.done(unstyled('empty'), started);

    let style: Style | null;
    let steps: Step[];
    try {
      style = await this.resolveStyle(options);
      if (!style) return this.done(unstyled('no_style'), started);
      steps = this.plan(style, options);
    } catch (error) {
      const e = toRestyleError(error);
      // Bad input (explicit unknown style, missing parameter) is the caller's to fix: always throw.
      if (options.style || options.from || e.code === 'param_missing' || e.code === 'input_invalid' || onError === 'error') throw e;
      this.logger.warn({ code: e.code, channel: options.channel }, `restyle: ${e.message}; passing text through`);
      return this.done(unstyled(e.code, null, e), started);
    }

    const segments = splitBlocks(text, { maxParagraphs: cfg.maxBlockParagraphs, maxChars: cfg.maxBlockChars, maxBlocks: cfg.maxBlocks });
    const prose = segments.map((s, i) => ({ s, i })).filter(({ s }) => s.kind === 'prose');
    const budgetMs = options.deadlineMs ?? cfg.deadlineMs;
    const admitted = this.admit(steps, prose.length, budgetMs);
    if (!admitted.ok) {
      const e = new RestyleError('overloaded', `the style model's queue cannot finish this answer within ${budgetMs} ms (restyle.deadlineMs; about ${Math.round(admitted.estimateMs)} ms needed), so it was not queued`, {
        details: { estimateMs: Math.round(admitted.estimateMs), deadlineMs: budgetMs },
      });
      if (onError === 'error') throw e;
      this.logger.warn({ code: e.code, style: style.name }, `restyle failed open: ${e.message}`);
      return this.done(unstyled(e.code, style.name, e), started);
    }
    const deadline = AbortSignal.timeout(budgetMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const usage: TokenUsage = { ...ZERO_USAGE };
    let fallbacks = 0;
    let cached = 0;
    try {
      const outputs = await mapLimit(prose, cfg.blockConcurrency, async ({ s }) => {
        const r = await this.styleBlock(s, steps, options, signal).finally(() => admitted.done(1));
        addUsage(usage, r.usage);
        cached += r.cached ? 1 : 0;
        if (r.text === null) fallbacks += 1;
        return r.text ?? s.text;
      });
      const out = [...segments];
      prose.forEach(({ i }, k) => (out[i] = { kind: 'prose', text: outputs[k]! }));
      const joined = out.map((s) => s.text).join('');
      const result: RestyleResult = {
        text: joined,
        styled: prose.length > fallbacks,
        style: style.name,
        model: steps[steps.length - 1]!.model,
        blocks: prose.length,
        fallbacks,
        cached,
        usage,
        ...(prose.length === 0 ? { reason: 'nothing_to_style' } : {}),
      };
      return this.done(result, started);
    } catch (error) {
      const e = deadline.aborted
        ? new RestyleError('deadline_exceeded', `restyling took longer than ${options.deadlineMs ?? cfg.deadlineMs} ms (restyle.deadlineMs)`, { cause: error })
        : toRestyleError(error, 'llm_error');
      if (onError === 'error') throw e;
      this.logger.warn({ code: e.code, style: style.name }, `restyle failed open: ${e.message}`);
      return this.done({ ...unstyled(e.code, style.name, e), usage }, started);
    } finally {
      admitted.done();
    }
  }

  /** Admit this answer's model calls on every endpoint it uses, or say how long they would take. */
  private admit(steps: Step[], blocks: number, budgetMs: number): { ok: true; done: (n?: number) => void } | { ok: false; estimateMs: number } {
    const held: Array<(n?: number) => void> = [];
    for (const step of steps) {
      const a = this.load.admit(step.endpoint.baseUrl, blocks, budgetMs, this.deps.llm.get(step.endpoint).limiter?.stats);
      if (!a.ok) {
        for (const done of held) done();
        return a;
      }
      held.push(a.done);
    }
    return { ok: true, done: (n) => held.forEach((done) => done(n)) };
  }

  /** Conversion plans two model calls per block: the source's de-styler, then the target's styler. */
  private plan(style: Style, options: RestyleOptions): Step[] {
    const { settings } = this.deps;
    const temperature = style.temperature ?? settings.restyle.temperature;
    const styler: Step = {
      model: style.model,
      endpoint: style.endpoint,
      prompt: { name: style.name, prompt: style.prompt, params: { ...style.params, ...options.params } },
      temperature,
      maxTokens: style.maxTokens,
    };
    // Validate parameters up front so a missing one is reported before any model call.
    buildMessages(styler.prompt, '');
    if (!options.from) return [styler];
    const source = getStyle(settings, options.from);
    if (!source.destyler) {
      throw new RestyleError('input_invalid', `style "${source.name}" has no destyler: set styles.${source.name}.destyler to convert from it`, {
        details: { style: source.name },
      });
    }
    return [
      {
        model: source.destyler,
        endpoint: source.destylerEndpoint,
        prompt: { name: `${source.name} (destyler)`, prompt: source.destylerPrompt, params: {} },
        temperature: 0,
      },
      styler,
    ];
  }

  private async styleBlock(
    segment: Segment,
    steps: Step[],
    options: RestyleOptions,
    signal: AbortSignal,
  ): Promise<{ text: string | null; usage: TokenUsage; cached: boolean }> {
    const guarded = protect(segment.text);
    // Keep the block's own leading/trailing whitespace out of the model's hands.
    const lead = /^\s*/.exec(guarded.text)![0];
    const trail = /\s*$/.exec(guarded.text.slice(lead.length))![0];
    let current = guarded.text.slice(lead.length, guarded.text.length - trail.length);
    const usage: TokenUsage = { ...ZERO_USAGE };
    let allCached = true;
    // Replies are cached only once the block's final text is accepted: a rejected reply must not stick.
    const remember: Array<() => Promise<void>> = [];
    for (const step of steps) {
      const messages = buildMessages(step.prompt, current);
      const r = await this.complete(step, messages, options, signal);
      addUsage(usage, r.usage);
      allCached &&= r.cached;
      if (r.remember) remember.push(r.remember);
      current = r.text.trim();
    }
    // An empty reply is never a styling of a non-empty block.
    const restored = current === '' ? null : restore(lead + current + trail, guarded);
    if (restored === null) {
      this.logger.debug({ model: steps[steps.length - 1]!.model }, 'restyle: placeholders altered; block kept as written');
      return { text: null, usage, cached: allCached };
    }
    const added = addedMentions(segment.text, restored);
    if (added.length > 0) {
      this.logger.warn({ added }, 'restyle: styled text added mentions; block kept as written');
      return { text: null, usage, cached: allCached };
    }
    for (const write of remember) await write();
    return { text: restored, usage, cached: allCached };
  }

  private async complete(
    step: Step,
    messages: ChatMessage[],
    options: RestyleOptions,
    signal: AbortSignal,
  ): Promise<{ text: string; usage: TokenUsage; cached: boolean; remember?: () => Promise<void> }> {
    const useCache = options.cache !== false && this.deps.settings.restyle.cacheTtlSeconds > 0;
    const key = sha256(step.endpoint.baseUrl, step.model, messages, step.temperature);
    const cache = this.deps.store.ns<string>('cache');
    if (useCache) {
      const hit = await cache.get(key).catch((error: unknown) => {
        this.logger.warn({ err: toRestyleError(error).message }, 'restyle: cache read failed; calling the model');
        return undefined;
      });
      if (hit !== undefined) {
        this.deps.observer?.modelCall?.({ model: step.model, ms: 0, ok: true, cached: true });
        return { text: hit, usage: { ...ZERO_USAGE }, cached: true };
      }
    }
    const t0 = performance.now();
    let r: ChatResult;
    try {
      r = await this.deps.llm.get(step.endpoint).chat({
        model: step.model,
        messages,
        temperature: step.temperature,
        maxTokens: step.maxTokens,
        signal,
      });
    } catch (error) {
      this.deps.observer?.modelCall?.({ model: step.model, ms: performance.now() - t0, ok: false, cached: false });
      throw error;
    }
    this.deps.observer?.modelCall?.({ model: step.model, ms: performance.now() - t0, ok: true, cached: false });
    this.load.observe(step.endpoint.baseUrl, performance.now() - t0);
    const text = r.text;
    const remember =
      useCache && text.trim() !== ''
        ? () =>
            cache.set(key, text, this.deps.settings.restyle.cacheTtlSeconds * 1000).then(
              () => undefined,
              (error: unknown) => this.logger.warn({ err: toRestyleError(error).message }, 'restyle: cache write failed'),
            )
        : undefined;
    return { text, usage: r.usage, cached: false, ...(remember ? { remember } : {}) };
  }

  private done(result: RestyleResult, started: number): RestyleResult {
    this.deps.observer?.result?.(result, performance.now() - started);
    return result;
  }
}

function addUsage(into: TokenUsage, add: TokenUsage): void {
  into.promptTokens += add.promptTokens;
  into.completionTokens += add.completionTokens;
  into.totalTokens += add.totalTokens;
}
