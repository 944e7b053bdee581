/**
 * Corpus builder at scale (issues "Corpus builder" and 18): CPU per request against a bare openai SDK loop
 * sending the same requests to the same fake at the same concurrency; 30,000 generated blocks through the fake
 * provider held to a fixed RPM bound (and 4,000 held to a TPM bound): the rate while requests flow is
 * compared to what the limiter allows (goal ≥0.95×), the whole run's rate is printed beside it; a second
 * run must make 0 requests, and peak memory must stay ≤300 MB and flat from 10,000 to 30,000 blocks.
 */
import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai.js';
import type { BenchResult } from './types.js';

const RPM = 36_000; // 600 requests/s
const TPM = 1_500_000; // about 160 requests/s of this corpus's ~160-token requests
const WORKER = resolve(import.meta.dirname, 'corpus-worker.ts');
const BARE = resolve(import.meta.dirname, 'corpus-bare-worker.ts');

const NOUNS = ['harbour', 'ledger', 'lantern', 'compass', 'anchor', 'voyage', 'quarry', 'meadow', 'signal', 'furnace', 'orchard', 'beacon', 'granary', 'tollgate', 'mill', 'ferry', 'archive', 'bellows', 'cistern', 'kiln', 'spindle', 'trellis', 'wharf', 'almanac'];
const VERBS = ['met', 'passed', 'guarded', 'mended', 'counted', 'weighed', 'painted', 'carried', 'sold', 'found', 'lost', 'named'];
const PLACES = ['river', 'square', 'chapel', 'market', 'bridge', 'tower', 'inn', 'gate', 'forge', 'dock', 'field', 'hall'];

/**
 * `n` distinct blocks of about the same length. Each varies in most of its words (a seeded generator),
 * so the builder's near-duplicate filter (word 3-shingles, Jaccard ≥ 0.8) keeps every one of them and the
 * bench measures n requests, not however many survive de-duplication.
 */
function corpus(dir: string, n: number): string {
  let state = 0x2545f491;
  const next = (size: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % size;
  };
  const pick = (list: readonly string[]): string => list[next(list.length)]!;
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const text = `Block ${i}: the ${pick(NOUNS)} and the ${pick(NOUNS)} ${pick(VERBS)} by the ${pick(PLACES)}; we kept ${next(997)} notes about the ${pick(NOUNS)} near the ${pick(PLACES)}.`;
    rows.push(JSON.stringify({ id: i, text }));
  }
  const file = join(dir, `corpus-${n}.jsonl`);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

interface WorkerResult {
  code: number;
  ms: number;
  /** CPU time (user + system) of the work itself, module loading excluded. */
  cpuMs: number;
  /** Our worker only: CPU spent importing the builder's modules before the figure starts (left out of cpuMs, as the bare loop's SDK import is). */
  loadingCpuMs?: number;
  maxRssMB: number;
}

/**
 * Request arrivals at the fake from `from` on: how long they spanned, and the chat bodies (without `stream`,
 * which only says how the SDK was asked) by the block they carry, to check both loops sent the same requests.
 */
function arrivals(fake: FakeOpenAI, from: number, to = fake.requests.length): { spanMs: number; bodies: Map<string, string> } {
  const slice = fake.requests.slice(from, to);
  const bodies = new Map<string, string>();
  for (const r of slice) {
    const { stream: _stream, ...body } = r.body as Record<string, unknown>;
    bodies.set(String((r.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content), JSON.stringify(body));
  }
  return { spanMs: slice.length > 1 ? slice.at(-1)!.at - slice[0]!.at : 0, bodies };
}

/** How many of `ours`' requests have no identical twin among the bare loop's. */
function differing(ours: Map<string, string>, bare: Map<string, string>): number {
  let n = 0;
  for (const [block, body] of ours) if (bare.get(block) !== body) n += 1;
  return n + Math.abs(ours.size - bare.size);
}

/** The limiter lets `limit` a minute through, plus one second's worth at once after idling (its burst). */
const BURST_MS = 1000;
const allowed = (perMinute: number, spanMs: number): number => (perMinute * (spanMs + BURST_MS)) / 60_000;

function run(fake: FakeOpenAI, cwd: string, args: string[], nodeFlags: string[] = [], worker = WORKER): Promise<WorkerResult> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [...nodeFlags, '--import', import.meta.resolve('tsx'), worker, ...args],
      { cwd, env: { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.url }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          done(JSON.parse(last));
        } catch {
          fail(new Error(`corpus worker failed: ${error?.message ?? ''}\n${stderr.slice(-2000)}`));
        }
      },
    );
  });
}

export default async function corpusBench(): Promise<BenchResult[]> {
  const fake = await startFakeOpenAI();
  fake.setResponder((body) => String(body.messages.at(-1).content).replace(/;/g, '.'));
  const cwd = mkdtempSync(join(tmpdir(), 'restyle-corpus-bench-'));
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles:\n  bench:\n    model: ft:bench\ncorpus:\n  editorModel: editor-1\n');
  const args = (file: string, out: string) => ['corpus', 'build', '--in', file, '--out', out, '--style', 'bench', '--rpm', String(RPM), '--concurrency', '64'];
  const results: BenchResult[] = [];
  const loadBefore = loadavg();
  try {
    // CPU per request against the plainest SDK loop doing the same de-styling at the same concurrency, both
    // unthrottled, in the same run: what the builder's extras (dedupe, checks, cache, spool, outputs) cost.
    // On a shared machine one pair of runs swings by ±10%: three rounds, each ours then bare right after it
    // (a fresh output folder, so nothing comes from the cache), and the median round counts.
    const cpuFile = corpus(cwd, 10_000);
    const rounds: Array<{ ours: WorkerResult; bare: WorkerResult; ourRequests: number; bareRequests: number; ratio: number; notSame: number; sameTransport: number; sameTransportUs: number }> = [];
    for (let round = 0; round < 3; round++) {
      const cpuBefore = fake.requests.length;
      const ours = await run(fake, cwd, ['corpus', 'build', '--in', cpuFile, '--out', join(cwd, `out-cpu-${round}`), '--style', 'bench', '--concurrency', '64']);
      const ourRequests = fake.requests.length - cpuBefore;
      const bare = await run(fake, cwd, [cpuFile, join(cwd, 'bare.jsonl'), '64', 'editor-1'], [], BARE);
      const bareRequests = fake.requests.length - cpuBefore - ourRequests;
      // Fair only if both loops sent the same requests (model, messages, temperature) to the same fake.
      const notSame = differing(arrivals(fake, cpuBefore, cpuBefore + ourRequests).bodies, arrivals(fake, cpuBefore + ourRequests).bodies);
      // The builder sends its JSON calls over node:http (src/util/post-fetch.ts), not the SDK's global fetch: the
      // same bare loop on that transport shows what the builder's own work (dedupe, checks, cache, outputs) costs.
      const viaJson = fake.requests.length;
      const bareJson = await run(fake, cwd, [cpuFile, join(cwd, 'bare-json.jsonl'), '64', 'editor-1', 'post-fetch'], [], BARE);
      const sameTransportUs = bareJson.cpuMs / (fake.requests.length - viaJson);
      rounds.push({ ours, bare, ourRequests, bareRequests, ratio: ours.cpuMs / ourRequests / (bare.cpuMs / bareRequests), notSame, sameTransport: ours.cpuMs / ourRequests / sameTransportUs, sameTransportUs });
    }
    const { ours, bare, ourRequests, bareRequests, ratio: cpuRatio } = [...rounds].sort((a, b) => a.ratio - b.ratio)[1]!;
    const sameTransport = [...rounds].sort((a, b) => a.sameTransport - b.sameTransport)[1]!;
    const notSame = rounds.reduce((n, r) => n + r.notSame, 0);
    const small = await run(fake, cwd, args(corpus(cwd, 10_000), join(cwd, 'out-10k')));
    const before = fake.requests.length;
    const big = await run(fake, cwd, args(corpus(cwd, 30_000), join(cwd, 'out-30k')));
    const made = fake.requests.length - before;
    const bigSpan = arrivals(fake, before).spanMs;
    const again = await run(fake, cwd, args(join(cwd, 'corpus-30000.jsonl'), join(cwd, 'out-30k')));
    const repeat = fake.requests.length - before - made;
    // Held by tokens per minute (the RPM bound far above): the limiter must reach the TPM bound too.
    const tpmOut = join(cwd, 'out-tpm');
    const tpmBefore = fake.requests.length;
    const tpmRun = await run(fake, cwd, ['corpus', 'build', '--in', corpus(cwd, 4_000), '--out', tpmOut, '--style', 'bench', '--rpm', '1000000', '--tpm', String(TPM), '--concurrency', '64']);
    const usage = (JSON.parse(readFileSync(join(tpmOut, 'report.json'), 'utf8')) as { editor: { usage: { promptTokens: number; completionTokens: number } } }).editor.usage;
    const tokens = usage.promptTokens + usage.completionTokens;
    const tpmRate = tokens / (tpmRun.ms / 60_000);
    const tpmSpan = arrivals(fake, tpmBefore).spanMs;
    const bound = RPM / 60;
    const rate = made / (big.ms / 1000);
    const loadAfter = loadavg();
    results.push(
      {
        name: 'CPU per request, 10,000 blocks, vs a bare openai SDK loop (median of 3 rounds)',
        value: cpuRatio,
        unit: '×',
        goal: '≤1.2×',
        ok: cpuRatio <= 1.2 && rounds.every((r) => r.ours.code === 0) && notSame === 0,
        note:
          `rounds ${rounds.map((r) => `${r.ratio.toFixed(3)}×`).join(', ')}; median ${((ours.cpuMs / ourRequests) * 1000).toFixed(0)} µs vs ${((bare.cpuMs / bareRequests) * 1000).toFixed(0)} µs a request (${ourRequests} and ${bareRequests} requests, ${notSame} differing in all rounds); ` +
          `module loading left out of both (ours ${(ours.loadingCpuMs ?? 0).toFixed(0)} ms, counted in: ${((ours.cpuMs + (ours.loadingCpuMs ?? 0)) / ourRequests / (bare.cpuMs / bareRequests)).toFixed(3)}×)`,
      },
      {
        name: 'CPU per request, 10,000 blocks, vs the same bare loop on the builder\'s transport (node:http, median of 3 rounds)',
        value: sameTransport.sameTransport,
        unit: '×',
        note: `rounds ${rounds.map((r) => `${r.sameTransport.toFixed(3)}×`).join(', ')}; median ${((sameTransport.ours.cpuMs / sameTransport.ourRequests) * 1000).toFixed(0)} µs vs ${(sameTransport.sameTransportUs * 1000).toFixed(0)} µs a request: what the builder's own work costs`,
      },
      {
        name: `request rate while de-styling, 30,000 blocks at a ${RPM.toLocaleString('en')} RPM bound`,
        value: made / allowed(RPM, bigSpan),
        unit: '×',
        goal: '≥0.95×',
        ok: made / allowed(RPM, bigSpan) >= 0.95 && big.code === 0,
        note: `${made} requests arrived in ${(bigSpan / 1000).toFixed(1)} s; the limiter allows ${Math.floor(allowed(RPM, bigSpan))} in that time (a minute's rate plus its 1 s burst)`,
      },
      {
        name: `throughput, 30,000 blocks at a ${RPM.toLocaleString('en')} RPM bound`,
        value: rate / bound,
        unit: '×',
        goal: 'one request per block',
        ok: made === 30_000 && big.code === 0,
        note: `${rate.toFixed(0)} req/s vs a bound of ${bound} req/s, ${made} requests in ${(big.ms / 1000).toFixed(1)} s (config, planning and writing included; module loading not)`,
      },
      { name: 'second run over the same corpus: requests made', value: repeat, unit: 'requests', goal: '0', ok: repeat === 0 && again.code === 0 },
      { name: 'peak RSS, 30,000 blocks', value: big.maxRssMB, unit: 'MB', goal: '≤300 MB', ok: big.maxRssMB <= 300 },
      {
        name: `token rate while de-styling, 4,000 blocks at a ${TPM.toLocaleString('en')} TPM bound`,
        value: tokens / allowed(TPM, tpmSpan),
        unit: '×',
        goal: '≥0.95×',
        ok: tokens / allowed(TPM, tpmSpan) >= 0.95 && tpmRun.code === 0,
        note: `${tokens.toLocaleString('en')} tokens in ${(tpmSpan / 1000).toFixed(1)} s of requests; the limiter allows ${Math.floor(allowed(TPM, tpmSpan)).toLocaleString('en')}`,
      },
      {
        name: `throughput, 4,000 blocks at a ${TPM.toLocaleString('en')} TPM bound`,
        value: tpmRate / TPM,
        unit: '×',
        note: `${Math.round(tpmRate).toLocaleString('en')} tokens/min (${tokens.toLocaleString('en')} tokens in ${(tpmRun.ms / 1000).toFixed(1)} s, config, planning and writing included; module loading not)`,
      },
      { name: 'peak RSS growth from 10,000 to 30,000 blocks', value: big.maxRssMB / small.maxRssMB, unit: '×', goal: '≤1.5× (flat)', ok: big.maxRssMB / small.maxRssMB <= 1.5, note: `${small.maxRssMB.toFixed(0)} MB → ${big.maxRssMB.toFixed(0)} MB` },
      // Two cores shared with other work: the figures above mean little without how busy the machine was.
      { name: 'load average (1 min) at the start and the end', value: loadBefore[0]!, unit: '', note: `${loadBefore[0]!.toFixed(2)} → ${loadAfter[0]!.toFixed(2)} (5 min ${loadAfter[1]!.toFixed(2)}), ${availableParallelism()} cores` },
    );
  } finally {
    await fake.close();
    rmSync(cwd, { recursive: true, force: true });
  }
  return results;
}
