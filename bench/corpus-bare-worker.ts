/**
 * The baseline for the corpus bench: the plainest de-styling loop anyone would write with the openai SDK
 * (read blocks, ask the editor model for each at a fixed concurrency, write the pairs), run in its own process
 * so its CPU time per request can be compared with `restyle corpus build`'s in the same bench run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { DEFAULT_EDITOR_PROMPT } from '../src/config/defaults.js';
import { createPostFetch } from '../src/util/post-fetch.js';

const [file, out, concurrencyArg, model, transport] = process.argv.slice(2) as [string, string, string, string, string | undefined];
// The baseline is the SDK as it comes (the global fetch). `post-fetch` gives the same loop the transport
// `restyle corpus build` uses, for a second figure: what the builder's own work costs on equal transports.
const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, ...(transport === 'post-fetch' ? { fetch: createPostFetch() } : {}) });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const blocks = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { text: string }).text);
const pairs: string[] = new Array(blocks.length);
let next = 0;
async function worker(): Promise<void> {
  while (next < blocks.length) {
    const i = next++;
    // The request `restyle corpus build` sends for a block without placeholders (temperature 0 included).
    const r = await client.chat.completions.create({ model, messages: [{ role: 'system', content: DEFAULT_EDITOR_PROMPT }, { role: 'user', content: blocks[i]! }], temperature: 0 });
    pairs[i] = JSON.stringify({ messages: [{ role: 'user', content: r.choices[0]!.message.content }, { role: 'assistant', content: blocks[i] }] });
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
writeFileSync(out, `${pairs.join('\n')}\n`);
const cpu = process.cpuUsage(cpu0);
const ms = performance.now() - t0;
process.stdout.write(`\n${JSON.stringify({ code: 0, ms, cpuMs: (cpu.user + cpu.system) / 1000, requests: blocks.length, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
