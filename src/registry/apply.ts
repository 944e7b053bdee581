import type { Settings } from '../config/load.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { endpointFor } from './endpoints.js';
import { registryKey } from './registry.js';
import type { ModelEntry, RegistryRecord } from './types.js';
import { own } from '../util/own.js';

export interface AppliedModel {
  style: string;
  role: 'styler' | 'destyler';
  /** The config's model, now overridden. */
  configured: string | undefined;
  entry: ModelEntry;
}

/**
 * The registry's active models override the config at run time: for each style with an active styler
 * entry, `styles.X.model` and its endpoint become the entry's; likewise `destyler` with an active de-styler.
 * A style with nothing active keeps its config model, so the config is the starting point and
 * `restyle models rollback` can always return to it.
 *
 * Mutates `settings.styles` in place (replacing each changed `Style` object) so a `Restyler` already built
 * on these settings sees the change on its next call; call it again (or `startRegistrySync`) to pick up
 * `restyle models use` from another process. `env` lets entries use key variables the config doesn't name.
 *
 * @example
 * const settings = loadConfig({ env });
 * const store = await openStore(settings.store);
 * await applyRegistry(settings, store, { env });
 * const ctx = await createContext(settings, { store });
 */
export async function applyRegistry(settings: Settings, store: Store, options: { env?: Env } = {}): Promise<AppliedModel[]> {
  const ns = store.ns<RegistryRecord>('models');
  const applied: AppliedModel[] = [];
  for (const [name, style] of Object.entries(settings.styles)) {
    const [styler, destyler] = await Promise.all([ns.get(registryKey(name, 'styler')), ns.get(registryKey(name, 'destyler'))]);
    const active = (r: RegistryRecord | undefined): ModelEntry | undefined => (r?.active == null ? undefined : r.entries.find((e) => e.id === r.active));
    const s = active(styler);
    const d = active(destyler);
    if (!s && !d) continue;
    const next = { ...style };
    if (s) {
      next.model = s.model;
      next.endpoint = endpointFor(settings, s.baseUrl, s.apiKeyEnv, options.env);
      applied.push({ style: name, role: 'styler', configured: style.model, entry: s });
    }
    if (d) {
      next.destyler = d.model;
      next.destylerEndpoint = endpointFor(settings, d.baseUrl, d.apiKeyEnv, options.env);
      applied.push({ style: name, role: 'destyler', configured: style.destyler, entry: d });
    }
    settings.styles[name] = next;
  }
  return applied;
}

/**
 * Apply the registry now and again every `intervalMs`, for a long-running process (the bot), so
 * `restyle models use` and `rollback` take effect without a restart. Call it instead of `applyRegistry`
 * (on settings the registry has not been applied to): each pass starts from the config's styles, so a
 * rollback to the config model takes effect too. Resolves after the first pass with a stop function.
 */
export async function startRegistrySync(settings: Settings, store: Store, options: { intervalMs?: number; env?: Env; logger?: Logger } = {}): Promise<() => void> {
  const base = { ...settings.styles };
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const fresh: Settings = { ...settings, styles: { ...base } };
      await applyRegistry(fresh, store, { env: options.env });
      for (const [name, style] of Object.entries(fresh.styles)) {
        const current = own(settings.styles, name);
        if (current?.model !== style.model || current?.destyler !== style.destyler || current?.endpoint.baseUrl !== style.endpoint.baseUrl) {
          options.logger?.info({ style: name, model: style.model, destyler: style.destyler }, 'registry: style model changed');
        }
        settings.styles[name] = style;
      }
    } catch (error) {
      options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'registry: sync failed; keeping the current models');
    } finally {
      running = false;
    }
  };
  await tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
