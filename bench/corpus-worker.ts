/**
 * Runs one `restyle corpus build` in this process (spawned by corpus.bench.ts) and prints, as the last
 * stdout line, how long it took and the peak resident memory, so the bench measures the builder alone.
 */
import { readdirSync } from 'node:fs';

// The compiled program, as `restyle` runs it (`npm run bench` builds dist/ first): the bench measures the
// builder, not TypeScript compiling on the fly.
const { main } = (await import(new URL('../dist/app/main.js', import.meta.url).href)) as { main: (argv: readonly string[]) => Promise<number> };
// Module loading is left out of the figure, as the bare loop imports the SDK before it starts counting:
// `main` imports the corpus command (and through it the builder and the SDK) lazily, so import it here: the
// build bundles it into dist/chunks/corpus-<hash>.js (scripts/bundle.js), the chunk `main` will import.
// The tokenizer the report needs is loaded on first use inside the build and stays counted.
const chunks = new URL('../dist/chunks/', import.meta.url);
const corpusChunk = readdirSync(chunks).find((f) => /^corpus-[A-Z0-9]+\.js$/.test(f));
if (!corpusChunk) throw new Error(`no corpus chunk in ${chunks.pathname}: run npm run build`);
const loading0 = process.cpuUsage();
if (process.argv[2] === 'corpus') await import(new URL(corpusChunk, chunks).href);
const loading = process.cpuUsage(loading0);

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const code = await main(process.argv.slice(2));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`\n${JSON.stringify({ code, ms, cpuMs: (cpu.user + cpu.system) / 1000, loadingCpuMs: (loading.user + loading.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exitCode = code;
