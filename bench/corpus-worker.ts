/**
 * Runs one `restyle corpus build` in this process (spawned by corpus.bench.ts) and prints, as the last
 * stdout line, how long it took and the peak resident memory, so the bench measures the builder alone.
 */
import { main } from '../app/main.js';

const t0 = performance.now();
const code = await main(process.argv.slice(2));
const ms = performance.now() - t0;
process.stdout.write(`\n${JSON.stringify({ code, ms, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exitCode = code;
