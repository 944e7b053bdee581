/**
 * `record[key]` for a key the record itself holds, never one it inherits: a style or channel named
 * `constructor`, `toString` or `__proto__` is an unknown name, not a function from Object.prototype.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
