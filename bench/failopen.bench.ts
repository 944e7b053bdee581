/**
 * Fail-open (issue "chaos"): when the style model hangs, how long `restyle()` takes to hand back the original
 * text, against the configured deadline plus a healthy restyle measured in the same run. The chaos tests
 * (test/chaos/model-faults.test.ts) assert that it happens; this measures how close to the deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFrom } from '../src/config/load.js';
import { LlmPool } from '../src/llm/pool.js';
import { Restyler } from '../src/restyle/restyler.js';
import { openStore } from '../src/store/index.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { median, percentile, type BenchResult } from './types.js';

const DEADLINE_MS = 1000;
const CONCURRENT = 16;
const ROUNDS = 3;

export default async function failOpenBench(): Promise<BenchResult[]> {
  const fake = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-'));
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 1000 });
  const settings = settingsFrom(
    { styles: { house: { model: 'house-1' } }, restyle: { deadlineMs: DEADLINE_MS, requestTimeoutMs: 400, maxRetries: 2, cacheTtlSeconds: 0 } },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.url },
  );
  const restyler = new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
  const burst = async (): Promise<number[]> =>
    Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const t0 = performance.now();
        await restyler.restyle(`Deploy ${i} finished.`, { style: 'house', cache: false });
        return performance.now() - t0;
      }),
    );
  try {
    await burst(); // warm up
    const healthy: number[] = [];
    const hung: number[] = [];
    let unstyled = 0;
    for (let r = 0; r < ROUNDS; r++) {
      healthy.push(...(await burst()));
      fake.hangNext(100_000);
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => restyler.restyle(`Deploy ${i} failed.`, { style: 'house', cache: false })));
      hung.push(performance.now() - t0);
      unstyled += results.filter((x) => !x.styled).length;
      fake.reset();
    }
    const baseline = DEADLINE_MS + median(healthy);
    const ratio = percentile(hung, 100) / baseline;
    return [
      {
        name: `model hangs: slowest of ${CONCURRENT} fail-open answers vs deadline + healthy restyle`,
        value: ratio,
        unit: '×',
        goal: '≤1.3×',
        ok: ratio <= 1.3 && unstyled === CONCURRENT * ROUNDS,
        note: `max ${Math.round(percentile(hung, 100))} ms vs ${DEADLINE_MS} ms + ${Math.round(median(healthy))} ms; ${unstyled}/${CONCURRENT * ROUNDS} answered unstyled`,
      },
    ];
  } finally {
    await store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
