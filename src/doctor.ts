import type { AppContext } from './app.js';
import { apiKeyRequired, type Endpoint } from './config/load.js';
import { toRestyleError } from './errors.js';
import { openQueue } from './queue/index.js';
import { promptParams } from './restyle/messages.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  name: string;
  detail: string;
}

/** A doctor check; features add their own (the training registry adds prompt-hash checks). */
export type DoctorCheck = (ctx: AppContext) => Promise<CheckResult[]>;

/** What the checks that need no store see: when the store cannot be opened, they still run. */
type StorelessCheck = (ctx: Pick<AppContext, 'settings' | 'llm'>) => Promise<CheckResult[]>;

const configCheck: StorelessCheck = async (ctx) => {
  const { settings } = ctx;
  const styles = Object.keys(settings.styles);
  if (!settings.configFound) return [{ status: 'warn', name: 'config', detail: `${settings.configPath} not found: no styles configured, text passes through unchanged` }];
  // A config with no styles is valid, but nothing gets styled: not an all-✓ state.
  if (styles.length === 0) return [{ status: 'warn', name: 'config', detail: `${settings.configPath}: no styles yet, text passes through unchanged (add one under styles:)` }];
  const results: CheckResult[] = [{ status: 'ok', name: 'config', detail: `${settings.configPath}: ${styles.length} style(s), ${Object.keys(settings.channels).length} channel mapping(s)` }];
  // A default for a parameter the prompt has no {{name}} for is never used: most likely a typo, or a prompt edited.
  for (const style of Object.values(settings.styles)) {
    const used = new Set(promptParams(style.prompt));
    const unused = Object.keys(style.params).filter((name) => !used.has(name));
    if (unused.length > 0) results.push({ status: 'warn', name: `style ${style.name}`, detail: `params ${unused.join(', ')}: the prompt has no {{${unused[0]}}}, so the value is never used` });
  }
  return results;
};

const storeCheck: DoctorCheck = async (ctx) => {
  try {
    await ctx.store.ping();
    return [{ status: 'ok', name: 'store', detail: `${ctx.store.kind} at ${ctx.store.location}` }];
  } catch (error) {
    return [{ status: 'fail', name: 'store', detail: toRestyleError(error).message }];
  }
};

/** The durable queue can be written, and has no failed jobs (they are work that was acknowledged and not done). */
const queueCheck: DoctorCheck = async (ctx) => {
  let queue;
  try {
    queue = ctx.queue ?? (await openQueue(ctx.settings.store));
    await queue.ping();
    const stats = await queue.stats();
    const where = `${queue.kind} at ${queue.location}`;
    if (stats.failed > 0) return [{ status: 'warn', name: 'queue', detail: `${stats.failed} failed job(s) in ${where}: see \`restyle jobs list\`, then \`restyle jobs retry ID\` or \`drop ID\`` }];
    return [{ status: 'ok', name: 'queue', detail: `${where}: ${stats.depth} unfinished, none failed` }];
  } catch (error) {
    return [{ status: 'fail', name: 'queue', detail: toRestyleError(error).message }];
  } finally {
    if (queue && queue !== ctx.queue) await queue.close(0);
  }
};

/** Samples written before the index existed (or a migration interrupted half-way) are indexed. */
const sampleIndexCheck: DoctorCheck = async (ctx) => {
  const where = `${ctx.store.kind} at ${ctx.store.location}`;
  const state = await ctx.store.sampleIndex.state();
  if (state === 'interrupted') return [{ status: 'warn', name: 'samples', detail: `${where}: indexing the samples stopped half-way; \`restyle doctor --fix\` resumes it (the bot also does when it starts)` }];
  if (state === 'unindexed') return [{ status: 'warn', name: 'samples', detail: `${where}: samples written before the index are not indexed; \`restyle doctor --fix\` indexes them (the bot also does when it starts)` }];
  const counts = await ctx.store.sampleIndex.counts({});
  return [{ status: 'ok', name: 'samples', detail: `indexed (${Object.values(counts).reduce((a, b) => a + b, 0)} samples)` }];
};

/** `doctor --fix`: index the samples now (resuming an interrupted migration), rather than when the bot starts. */
export async function fixSampleIndex(ctx: Pick<AppContext, 'store'>): Promise<CheckResult> {
  const before = await ctx.store.sampleIndex.state();
  if (before === 'ready') return { status: 'ok', name: 'fix samples', detail: 'nothing to do: every sample is indexed' };
  const t0 = Date.now();
  try {
    await ctx.store.sampleIndex.migrate();
  } catch (error) {
    return { status: 'fail', name: 'fix samples', detail: `indexing stopped (run \`restyle doctor --fix\` again to resume): ${toRestyleError(error).message}` };
  }
  const counts = await ctx.store.sampleIndex.counts({});
  const n = Object.values(counts).reduce((a, b) => a + b, 0);
  return { status: 'ok', name: 'fix samples', detail: `${before === 'interrupted' ? 'resumed and finished' : 'finished'} indexing: ${n} samples in ${((Date.now() - t0) / 1000).toFixed(1)} s` };
}

/** Keys set, endpoints reachable, and every style's model (and destyler) listed by its endpoint. */
const modelsCheck: StorelessCheck = async (ctx) => {
  const results: CheckResult[] = [];
  const byEndpoint = new Map<string, { endpoint: Endpoint; models: Array<{ style: string; model: string; role: string }> }>();
  for (const style of Object.values(ctx.settings.styles)) {
    const add = (endpoint: Endpoint, model: string, role: string): void => {
      const key = `${endpoint.baseUrl}\u0000${endpoint.apiKeyEnv}`;
      const entry = byEndpoint.get(key) ?? { endpoint, models: [] };
      entry.models.push({ style: style.name, model, role });
      byEndpoint.set(key, entry);
    };
    add(style.endpoint, style.model, 'model');
    if (style.destyler) add(style.destylerEndpoint, style.destyler, 'destyler');
  }
  const { openai } = ctx.settings;
  // No style yet: the default endpoint is still what corpus build, train and a first style use; check it when
  // there is a key (or it needs none), so a wrong key or URL shows now.
  if (byEndpoint.size === 0 && (openai.apiKey || !apiKeyRequired(openai))) byEndpoint.set('default', { endpoint: openai, models: [] });
  for (const { endpoint, models } of byEndpoint.values()) {
    if (!endpoint.apiKey && apiKeyRequired(endpoint)) {
      results.push({ status: 'fail', name: 'api key', detail: `${endpoint.apiKeyEnv} is not set (needed for ${endpoint.baseUrl})` });
      continue;
    }
    let listed: Set<string>;
    try {
      // One attempt: the message's "no answer within N ms" is then the whole wait.
      listed = new Set(await ctx.llm.get(endpoint).listModels({ once: true }));
      results.push({ status: 'ok', name: 'endpoint', detail: `${endpoint.baseUrl} reachable (${listed.size} models)` });
    } catch (error) {
      // LLM errors already start with the endpoint's URL: print it once.
      const message = toRestyleError(error).message;
      results.push({ status: 'fail', name: 'endpoint', detail: message.startsWith(endpoint.baseUrl) ? message : `${endpoint.baseUrl}: ${message}` });
      continue;
    }
    for (const m of models) {
      results.push(
        listed.has(m.model)
          ? { status: 'ok', name: `style ${m.style}`, detail: `${m.role} ${m.model} exists` }
          : { status: 'fail', name: `style ${m.style}`, detail: `${m.role} ${m.model} not found at ${endpoint.baseUrl}` },
      );
    }
  }
  if (byEndpoint.size === 0 && !openai.apiKey && apiKeyRequired(openai)) {
    // No style needs it yet, but corpus build, train and a first style will: say so instead of all ✓.
    results.push({ status: 'warn', name: 'api key', detail: `${openai.apiKeyEnv} is not set (needed for ${openai.baseUrl}: styles, corpus build, train; or set OPENAI_BASE_URL to a keyless server)` });
  }
  return results;
};

export const CORE_CHECKS: readonly DoctorCheck[] = [configCheck, storeCheck, sampleIndexCheck, queueCheck, modelsCheck];

/** The checks to run when the store could not be opened, before and after its ✗ (in CORE_CHECKS' order). */
export const STORELESS_CHECKS: { before: readonly StorelessCheck[]; after: readonly StorelessCheck[] } = { before: [configCheck], after: [modelsCheck] };

export async function runDoctor<C extends Pick<AppContext, 'settings' | 'llm'>>(ctx: C, checks: ReadonlyArray<(ctx: C) => Promise<CheckResult[]>>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks) {
    try {
      out.push(...(await check(ctx)));
    } catch (error) {
      out.push({ status: 'fail', name: 'doctor', detail: toRestyleError(error).message });
    }
  }
  return out;
}

export function formatCheck(r: CheckResult): string {
  const mark = r.status === 'ok' ? '✓' : r.status === 'warn' ? '!' : '✗';
  return `${mark} ${r.name}: ${r.detail}`;
}
