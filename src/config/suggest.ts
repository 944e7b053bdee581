import { closest, distance } from 'fastest-levenshtein';
import type * as z from 'zod';

/** The zod v4 definition fields this walk reads (its `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The keys an object in `schema` at `path` allows, or none when the path does not lead to an object. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  const walk = (s: z.ZodType, rest: readonly PropertyKey[], depth: number): void => {
    if (depth > 64) return;
    const def = defOf(s);
    const inner = def.innerType ?? def.in ?? def.getter?.();
    if (inner) return walk(inner, rest, depth + 1);
    if (def.type === 'union') return def.options?.forEach((o) => walk(o, rest, depth + 1));
    if (rest.length === 0) {
      if (def.type === 'object') for (const k of Object.keys(def.shape ?? {})) found.add(k);
      return;
    }
    const [head, ...tail] = rest;
    if (def.type === 'object' && typeof head === 'string' && def.shape?.[head]) walk(def.shape[head], tail, depth + 1);
    else if (def.type === 'record' && def.valueType) walk(def.valueType, tail, depth + 1);
    else if (def.type === 'array' && typeof head === 'number' && def.element) walk(def.element, tail, depth + 1);
  };
  walk(schema, path, 0);
  return [...found];
}

/** The allowed key `key` is most likely a typo of (`modle` → `model`), if one is close enough to say so. */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined;
  const lower = key.toLowerCase();
  // A key cut short (`apiKey` for `apiKeyEnv`): too many letters apart for a typo, but plainly meant.
  const longer = lower.length >= 4 ? allowed.filter((k) => k.toLowerCase().startsWith(lower)) : [];
  if (longer.length === 1) return longer[0];
  const best = closest(lower, allowed.map((k) => k.toLowerCase()));
  const i = allowed.findIndex((k) => k.toLowerCase() === best);
  // Two edits at most (a swap of two letters is two), and under half the key: `foo` is no typo of `model`.
  const d = distance(lower, best);
  return d <= 2 && d * 2 < key.length ? allowed[i] : undefined;
}
