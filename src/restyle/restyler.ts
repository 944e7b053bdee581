import type { Endpoint, Settings, Style } from '../config/load.js';
import { getStyle } from '../config/load.js';
import { RestyleError, toRestyleError } from '../errors.js';
import type { LimiterStats } from '../llm/limiter.js';
import type { ChatMessage, ChatRequest, ChatResult, TokenUsage } from '../llm/types.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Store } from '../store/types.js';
import { sha256 } from '../util/hash.js';
import { deadline } from '../util/deadline.js';
import { Semaphore } from '../util/semaphore.js';
import { splitBlocks, type Segment, type SegmentKind } from './blocks.js';
import { ChannelMappings, checkChannel, type ChannelMapping } from './channel-mappings.js';
import { addedLinks } from './links.js';
import { addedMentions } from './mentions.js';
import { buildMessages, checkParams } from './messages.js';
import { LoadEstimator } from './overload.js';
import { protect, restore } from './placeholders.js';
import { once, releaseInOrder, type InputOutcome } from './stream.js';
import { own } from '../util/own.js';

/** What the filter needs from the LLM layer (satisfied by `LlmPool`). */
export interface ChatClientProvider {
  get(endpoint: Endpoint): { chat(req: ChatRequest): Promise<ChatResult>; chatStream?(req: ChatRequest): AsyncIterable<string>; readonly limiter?: { readonly stats: LimiterStats } };
}

export interface RestyleOptions {
  /** Explicit style name; wins over `channel`. */
  style?: string;
  /** Platform-qualified channel (`slack:C0123`) whose mapping picks the style. */
  channel?: string;
  /**
   * `channel`'s mapping, its read already under way (`channels.resolve(channel)`): a caller that started it
   * while doing something else (recording a job) saves a store round trip here.
   */
  mapping?: Promise<ChannelMapping | null>;
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
  /** Blocks that kept their original text because the reply broke a placeholder, added a mention or link, was empty, or ran on (over 4× the block plus 200 characters). */
  fallbacks: number;
  /** Blocks answered from the cache. */
  cached: number;
  usage: TokenUsage;
  /** Why the text is unstyled, when it is (`no_style`, `empty`, or an error code with fail-open). */
  reason?: string;
  error?: { code: string; message: string };
  /** Streams only: the input failed after `received` characters; what arrived was released, the unfinished rest unstyled. */
  incomplete?: { code: string; message: string; received: number };
}

/** One piece of a streamed answer, released in order; the texts joined are the answer as shown. */
export interface StyledBlock {
  index: number;
  kind: SegmentKind;
  /** The block as it is shown: styled, or the original. */
  text: string;
  original: string;
  /** True when the model's styling is used. */
  styled: boolean;
  cached: boolean;
  /** Why it is unstyled: `code`, `space`, `placeholders`, `mentions`, `empty_reply`, `reply_too_long`, `no_style`, `cut` (input failed), `text_too_long`, or the styler's error code. */
  reason?: string;
}

/** The resolved style and model calls for one answer (`Restyler.prepare`). */
export interface Prepared {
  style: Style | null;
  steps: Step[];
  reason?: string;
  error?: RestyleError;
}

interface RunState {
  prepared: Prepared;
  options: RestyleOptions;
  /** Aborts on the caller's signal or the consumer leaving. */
  signal: AbortSignal;
  slots: Semaphore;
  seen: number;
  prose: number;
  styled: number;
  fallbacks: number;
  cached: number;
  usage: TokenUsage;
  failure: RestyleError | null;
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

export interface Step {
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
  async resolveStyle(options: Pick<RestyleOptions, 'style' | 'channel' | 'mapping'>): Promise<Style | null> {
    const { settings } = this.deps;
    if (options.style) return getStyle(settings, options.style);
    if (options.channel) {
      checkChannel(options.channel);
      const mapping = await (options.mapping ?? this.channels.resolve(options.channel));
      if (mapping?.style) return getStyle(settings, mapping.style);
      return null;
    }
    return own(settings.styles, 'default') ?? null;
  }

  /** Throws for a text the filter refuses (not a string, longer than `restyle.maxChars`). */
  checkText(text: unknown): asserts text is string {
    const { maxChars } = this.deps.settings.restyle;
    if (typeof text !== 'string') throw new RestyleError('input_invalid', 'text must be a string');
    if (text.length > maxChars) {
      throw new RestyleError('text_too_long', `text is ${text.length} characters; the maximum is ${maxChars} (restyle.maxChars)`, {
        details: { length: text.length, max: maxChars },
      });
    }
  }

  async restyle(text: string, options: RestyleOptions = {}): Promise<RestyleResult> {
    const started = performance.now();
    this.checkText(text);
    const unstyled = (reason: string, style: string | null = null, error?: { code: string; message: string }): RestyleResult => ({
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
    // A mistyped channel is the caller's to fix, never a silent `no_style`.
    if (options.channel !== undefined) checkChannel(options.channel);
    if (text.trim() === '') return this.done(unstyled('empty'), started);
    const prepared = await this.prepare(options);
    if (!prepared.style) return this.done(unstyled(prepared.reason ?? 'no_style', null, prepared.error), started);
    // The whole answer is the streamed path fed one chunk.
    const run = this.run(prepared, once(text), options);
    let next = await run.next();
    while (!next.done) next = await run.next();
    const result = next.value;
    // Nothing was shown yet, so a failure anywhere gives back the whole text as written, not a patchwork.
    if (result.error) return this.done({ ...unstyled(result.error.code, result.style, result.error), usage: result.usage }, started);
    return this.done(result, started);
  }

  /**
   * Style text while it arrives: `deltas` are pieces of the answer (as a model streams them); each block
   * is styled as soon as it is complete and yielded in order, with code and whitespace between blocks
   * yielded as they are, so the yielded texts joined are the styled answer. The generator's return value
   * is the summary `restyle` gives. Bad input (unknown explicit style, missing parameter) throws before
   * the input is read; model errors fail open per `onError` (blocks not yet styled come through as
   * written, flagged); an input that fails mid-stream ends the stream with what arrived, the unfinished
   * rest unstyled and `incomplete` set. Stopping the iteration (or `options.signal`) cancels styling calls.
   *
   * @example
   * for await (const block of restyler.stream(answerDeltas, { channel: 'slack:C0123ABC' })) post(block.text);
   */
  async *stream(deltas: AsyncIterable<string>, options: RestyleOptions = {}): AsyncGenerator<StyledBlock, RestyleResult, undefined> {
    const started = performance.now();
    const prepared = await this.prepare(options);
    const result = yield* this.run(prepared, deltas, options);
    return this.done(result, started);
  }

  /** Resolve the style and plan the model calls; throws for the caller's mistakes, else fails open. */
  async prepare(options: RestyleOptions): Promise<Prepared> {
    const onError = options.onError ?? this.deps.settings.restyle.onError;
    try {
      const style = await this.resolveStyle(options);
      if (!style) return { style: null, steps: [], reason: 'no_style' };
      return { style, steps: this.plan(style, options) };
    } catch (error) {
      const e = toRestyleError(error);
      // Bad input (explicit unknown style, missing parameter) is the caller's to fix: always throw.
      if (options.style || options.from || e.code === 'param_missing' || e.code === 'input_invalid' || onError === 'error') throw e;
      this.logger.warn({ code: e.code, channel: options.channel }, `restyle: ${e.message}; passing text through`);
      return { style: null, steps: [], reason: e.code, error: e };
    }
  }

  private async *run(prepared: Prepared, deltas: AsyncIterable<string>, options: RestyleOptions): AsyncGenerator<StyledBlock, RestyleResult, undefined> {
    const cfg = this.deps.settings.restyle;
    const gone = new AbortController();
    const reading = options.signal ? AbortSignal.any([options.signal, gone.signal]) : gone.signal;
    const state: RunState = {
      prepared,
      options,
      signal: reading,
      slots: new Semaphore(cfg.blockConcurrency),
      seen: 0,
      prose: 0,
      styled: 0,
      fallbacks: 0,
      cached: 0,
      usage: { ...ZERO_USAGE },
      failure: null,
    };
    const split = (text: string): Segment[] => splitBlocks(text, { maxParagraphs: cfg.maxBlockParagraphs, maxChars: cfg.maxBlockChars, maxBlocks: cfg.maxBlocks });
    const blocks = releaseInOrder(deltas, {
      split,
      signal: reading,
      // Text held past restyle.maxChars would not be styled anyway (startBlock counts what it has seen): a
      // fence or list that never ends is handed out at that size instead of being held until the stream ends.
      maxPending: cfg.maxChars,
      start: (segment, index) => this.startBlock(segment, index, state),
      cut: (segment, index) => ({ index, kind: segment.kind, text: segment.text, original: segment.text, styled: false, cached: false, reason: 'cut' }),
    });
    const parts: string[] = [];
    let outcome: InputOutcome | undefined;
    try {
      for (let next = await blocks.next(); ; next = await blocks.next()) {
        if (next.done) {
          outcome = next.value;
          break;
        }
        parts.push(next.value.text);
        yield next.value;
      }
    } finally {
      // The consumer stopped early or a block threw (onError: error): cancel reading and styling.
      if (!outcome) gone.abort();
    }
    return this.summary(state, parts.join(''), outcome);
  }

  /** The per-block step both paths share: protect, style (through the cache), check, restore; never throws unless onError is error. */
  private async startBlock(segment: Segment, index: number, run: RunState): Promise<StyledBlock> {
    const cfg = this.deps.settings.restyle;
    run.seen += segment.text.length;
    const base: StyledBlock = { index, kind: segment.kind, text: segment.text, original: segment.text, styled: false, cached: false };
    if (segment.kind !== 'prose') return { ...base, reason: segment.kind };
    const { style, steps } = run.prepared;
    if (!style) return { ...base, reason: run.prepared.reason ?? 'no_style' };
    run.prose += 1;
    if (run.failure) return { ...base, reason: run.failure.code };
    if (run.seen > cfg.maxChars) return { ...base, reason: 'text_too_long' };
    // A whole text is grouped into at most maxBlocks blocks before styling; a stream is cut as it comes, so
    // its blocks past the budget pass as written: one answer costs at most maxBlocks calls either way.
    if (run.prose > cfg.maxBlocks) return { ...base, reason: 'max_blocks' };
    const deadlineMs = run.options.deadlineMs ?? cfg.deadlineMs;
    // Overload: a block whose calls cannot finish within the deadline behind the queue is not queued at all.
    const admitted = this.admit(steps, 1, deadlineMs);
    if (!admitted.ok) {
      const e = new RestyleError('overloaded', `the style model's queue cannot finish this answer within ${deadlineMs} ms (restyle.deadlineMs; about ${Math.round(admitted.estimateMs)} ms needed), so it was not queued`, {
        details: { estimateMs: Math.round(admitted.estimateMs), deadlineMs },
      });
      return this.failBlock(run, base, e, style.name);
    }
    // Not AbortSignal.any with AbortSignal.timeout: on Node 20 a GC can drop the timeout (src/util/deadline.ts).
    const timeout = deadline(deadlineMs, run.signal);
    const signal = timeout.signal;
    try {
      const r = await run.slots
        .run(() => {
          signal.throwIfAborted();
          return this.styleBlock(segment, steps, run.options, signal);
        })
        .finally(() => admitted.done());
      addUsage(run.usage, r.usage);
      run.cached += r.cached ? 1 : 0;
      if (r.text === null) {
        run.fallbacks += 1;
        return { ...base, cached: r.cached, reason: r.kept };
      }
      run.styled += 1;
      return { ...base, text: r.text, styled: true, cached: r.cached };
    } catch (error) {
      return this.failBlock(run, base, timeout.timedOut ? deadlineError(error, deadlineMs) : toRestyleError(error, 'llm_error'), style.name);
    } finally {
      timeout.clear();
    }
  }

  /**
   * The first failure stops styling for the whole answer: no new model calls, the blocks still to come pass
   * through as written (calls already out may still come back styled).
   */
  private failBlock(run: RunState, base: StyledBlock, error: RestyleError, style: string): StyledBlock {
    const first = !run.failure;
    const failure = (run.failure ??= error);
    // With onError: error the caller gets the error and says it; only a failure that opens is ours to log.
    if ((run.options.onError ?? this.deps.settings.restyle.onError) === 'error') throw failure;
    if (first) this.logger.warn({ code: error.code, style }, `restyle failed open: ${error.message}`);
    return { ...base, reason: run.failure.code };
  }

  private summary(run: RunState, text: string, outcome: InputOutcome): RestyleResult {
    const { style, steps } = run.prepared;
    const error = run.failure ?? run.prepared.error;
    const cut = outcome.error === undefined ? undefined : toRestyleError(outcome.error);
    return {
      text,
      styled: run.styled > 0,
      style: style?.name ?? null,
      model: style ? steps[steps.length - 1]!.model : null,
      blocks: run.prose,
      fallbacks: run.fallbacks,
      cached: run.cached,
      usage: run.usage,
      ...(!style ? { reason: run.prepared.reason ?? 'no_style' } : error ? { reason: error.code } : run.prose === 0 ? { reason: 'nothing_to_style' } : {}),
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
      ...(cut ? { incomplete: { code: cut.code, message: cut.message, received: outcome.received } } : {}),
    };
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
    // Validate parameters up front so a missing or unknown one is reported before any model call.
    checkParams(style.prompt, options.params, style.name);
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
  ): Promise<{ text: string | null; kept?: 'placeholders' | 'mentions' | 'empty_reply' | 'reply_too_long'; usage: TokenUsage; cached: boolean }> {
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
    if (current === '') {
      this.logger.warn({ model: steps[steps.length - 1]!.model }, 'restyle: the model replied with no text; block kept as written');
      return { text: null, kept: 'empty_reply', usage, cached: allCached };
    }
    // Nor is one many times its length: a model running on (a repetition loop) would flood the channel.
    if (current.length > maxReplyLength(segment.text.length)) {
      this.logger.warn({ model: steps[steps.length - 1]!.model, chars: current.length, block: segment.text.length }, 'restyle: the reply is many times the block; block kept as written');
      return { text: null, kept: 'reply_too_long', usage, cached: allCached };
    }
    const restored = restore(lead + current + trail, guarded);
    if (restored === null) {
      this.logger.debug({ model: steps[steps.length - 1]!.model }, 'restyle: placeholders altered; block kept as written');
      return { text: null, kept: 'placeholders', usage, cached: allCached };
    }
    const added = [...addedMentions(segment.text, restored), ...addedLinks(segment.text, restored)];
    if (added.length > 0) {
      this.logger.warn({ added }, 'restyle: styled text added mentions or links; block kept as written');
      return { text: null, kept: 'mentions', usage, cached: allCached };
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
    // Hashed only when the cache is on: it runs on every restyle.
    const key = useCache ? sha256(step.endpoint.baseUrl, step.model, messages, step.temperature) : '';
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

/** `deadline_exceeded`, saying what the time went on when it was a rate limit or a failing endpoint. */
function deadlineError(error: unknown, deadlineMs: number): RestyleError {
  const cause = toRestyleError(error, 'llm_error');
  const last = (cause.details.lastError as { code: string; message: string } | undefined) ?? (cause.code === 'deadline_exceeded' ? undefined : { code: cause.code, message: cause.message });
  const why = !last ? '' : last.code === 'llm_rate_limited' ? `: the model endpoint was rate limiting (${last.message})` : `: the last attempt failed (${last.message})`;
  return new RestyleError('deadline_exceeded', `restyling took longer than ${deadlineMs} ms (restyle.deadlineMs)${why}`, {
    cause: error,
    ...(last ? { details: { lastError: last } } : {}),
  });
}

/** The longest reply taken as a styling of a block of `chars` characters: generous for styles that embellish. */
function maxReplyLength(chars: number): number {
  return 4 * chars + 200;
}
