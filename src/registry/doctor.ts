import type { AppContext } from '../app.js';
import type { CheckResult, DoctorCheck } from '../doctor.js';
import { promptHash } from '../restyle/messages.js';
import { registryKey } from './registry.js';
import type { ModelEntry, ModelRole, RegistryRecord } from './types.js';

/**
 * `restyle doctor`: for every style whose model is in the registry, the prompt it was trained with must be
 * the prompt the style uses now — the seed's rule that the prompt must literally match. The model checked
 * is the registry's active one, else the config's model when the registry knows it (a job registered it).
 */
export const promptHashCheck: DoctorCheck = async (ctx: AppContext) => {
  const ns = ctx.store.ns<RegistryRecord>('models');
  const results: CheckResult[] = [];
  for (const style of Object.values(ctx.settings.styles)) {
    const roles: Array<{ role: ModelRole; configured: string | undefined; template: string; field: string }> = [
      { role: 'styler', configured: style.model, template: style.prompt, field: 'prompt' },
      { role: 'destyler', configured: style.destyler, template: style.destylerPrompt, field: 'destylerPrompt' },
    ];
    for (const r of roles) {
      const record = await ns.get(registryKey(style.name, r.role));
      if (!record || record.entries.length === 0) continue;
      const entry: ModelEntry | undefined =
        record.active !== null ? record.entries.find((e) => e.id === record.active) : record.entries.findLast((e) => e.model === r.configured);
      if (!entry) continue;
      const now = promptHash(r.template);
      const name = `style ${style.name}`;
      const which = `${r.role} #${entry.id} ${entry.model}${record.active === entry.id ? ' (registry, in use)' : ''}`;
      if (entry.promptHash === now) {
        results.push({ status: 'ok', name, detail: `${which}: prompt matches the one it was trained with (${now})` });
      } else {
        results.push({
          status: 'warn',
          name,
          detail: `${which} was trained with prompt ${entry.promptHash} but styles.${style.name}.${r.field} is now ${now}: the prompt must literally match the training prompt — restore it or retrain`,
        });
      }
    }
  }
  return results;
};
