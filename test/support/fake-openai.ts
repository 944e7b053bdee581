import { afterAll, beforeAll } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai.js';

/**
 * A fake OpenAI for the whole test file: started before its first test, closed after its last. Returns a
 * handle to it, usable in tests and hooks (not at module level, where it is not started yet).
 */
export function useFakeOpenAI(options?: FakeOpenAIOptions): FakeOpenAI {
  let fake: FakeOpenAI | undefined;
  beforeAll(async () => {
    fake = await startFakeOpenAI(options);
  });
  afterAll(async () => {
    await fake?.close();
    fake = undefined;
  });
  return new Proxy({} as FakeOpenAI, {
    get(_, prop) {
      if (!fake) throw new Error(`useFakeOpenAI: the fake is used before its beforeAll ran (reading ${String(prop)})`);
      const value: unknown = Reflect.get(fake, prop);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(fake) : value;
    },
  });
}
