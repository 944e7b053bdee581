import { RestyleError } from '../errors.js';

/** commander collector for repeatable `--param key=value`. */
export function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new RestyleError('usage', `--param ${value}: expected key=value`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

/** Parse a positive integer option, naming the option on failure. */
export function intOption(name: string, min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new RestyleError('usage', `${name} ${value}: expected a whole number ≥ ${min}`);
    return n;
  };
}

export function fractionOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new RestyleError('usage', `${name} ${value}: expected a number from 0 to below 1`);
    return n;
  };
}
