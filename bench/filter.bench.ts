/**
 * The filter's cost over the model's own latency (issue "Foundation"): one block vs a direct SDK call,
 * ten blocks vs one, and a cache hit. The fake model answers after 200 ms, like a fast real endpoint.
 */
import OpenAI from 'openai';
import { settingsFrom } from '../src/config/load.js';
import { LlmPool } from '../src/llm/pool.js';
import { Restyler } from '../src/restyle/restyler.js';
import { openStore } from '../src/store/index.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, type BenchResult } from './types.js';

const LATENCY = 200;
const ROUNDS = 15;

export default async function filterBench(): Promise<BenchResult[]> {
  const fake = await startFakeOpenAI();
  fake.setLatency(LATENCY);
  fake.setResponder((body) => `Styled: ${body.messages.at(-1).content}`);
  const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-'));
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: join(dir, 'restyle.sqlite'), connectTimeoutMs: 1000 });
  const settings = settingsFrom({ styles: { house: { model: 'house-1' } } }, { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.url });
  const restyler = new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
  const sdk = new OpenAI({ apiKey: 'sk-bench', baseURL: fake.url, maxRetries: 0 });
  const block = 'Your order shipped today and will arrive on Friday, tracking is in your account.';
  const tenBlocks = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${block}`).join('\n\n');

  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  // Warm up both paths (connections, JIT, SQLite pages).
  await sdk.chat.completions.create({ model: 'house-1', messages: [{ role: 'user', content: 'warm' }] });
  await restyler.restyle('warm up', { style: 'house', cache: false });

  const direct: number[] = [];
  const filtered: number[] = [];
  const one: number[] = [];
  const ten: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    direct.push(
      await time(() =>
        sdk.chat.completions.create({
          model: 'house-1',
          messages: [
            { role: 'system', content: 'Please, rewrite the provided text in your style:' },
            { role: 'user', content: block },
          ],
        }),
      ),
    );
    filtered.push(await time(() => restyler.restyle(block, { style: 'house', cache: false })));
    one.push(await time(() => restyler.restyle(block, { style: 'house', cache: false })));
    ten.push(await time(() => restyler.restyle(tenBlocks, { style: 'house', cache: false })));
  }
  const blocks = (await restyler.restyle(tenBlocks, { style: 'house', cache: false })).blocks;

  await restyler.restyle('Cache this answer.', { style: 'house' });
  const hits: number[] = [];
  for (let i = 0; i < 50; i++) hits.push(await time(() => restyler.restyle('Cache this answer.', { style: 'house' })));

  await store.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });

  const overhead = median(filtered) / median(direct);
  const fan = median(ten) / median(one);
  const hit = median(hits);
  return [
    { name: 'one block: filter vs direct openai SDK call', value: overhead, unit: '×', goal: '≤1.03×', ok: overhead <= 1.03, note: `median ${median(filtered).toFixed(1)} ms vs ${median(direct).toFixed(1)} ms, model latency ${LATENCY} ms, ${ROUNDS} rounds` },
    { name: `${blocks}-block answer vs 1-block answer`, value: fan, unit: '×', goal: '≤1.3×', ok: fan <= 1.3, note: `median ${median(ten).toFixed(1)} ms vs ${median(one).toFixed(1)} ms` },
    { name: 'cache hit', value: hit, unit: 'ms', goal: '<5 ms', ok: hit < 5, note: 'median of 50, SQLite store' },
  ];
}
