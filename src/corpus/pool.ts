/**
 * Run `fn` over a stream of items with at most `concurrency` calls in flight, pulling the next item only
 * when a worker is free (so a 30k-item source is never loaded at once). The first error thrown by `fn`
 * stops the pulling; calls already in flight are awaited, then that error is thrown.
 */
export async function forEachLimit<T>(source: AsyncIterable<T>, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let failed: { error: unknown } | undefined;
  // Pulls are chained: an async generator must not be advanced by two workers at once.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => it.next());
    pulling = p.catch(() => undefined);
    return p;
  };
  const worker = async (): Promise<void> => {
    while (!failed) {
      let r: IteratorResult<T>;
      try {
        r = await next();
      } catch (error) {
        failed ??= { error };
        return;
      }
      if (r.done || failed) return;
      try {
        await fn(r.value);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    await it.return?.(undefined);
  }
  if (failed) throw failed.error;
}
