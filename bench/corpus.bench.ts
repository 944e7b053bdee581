/**
 * Corpus builder at scale (issue "Corpus builder"): 30,000 generated blocks through the fake provider held to
 * a fixed RPM bound (and 4,000 held to a TPM bound). Throughput is compared to the bound (goal ≥0.9×), a second run must make 0 requests,
 * and peak memory must stay ≤300 MB and flat from 10,000 to 30,000 blocks.
 */
import { execFile } from 'node:child_process';
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
  maxRssMB: number;
}

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
  try {
    // CPU per request against the plainest SDK loop doing the same de-styling at the same concurrency, both
    // unthrottled, in the same run: what the builder's extras (dedupe, checks, cache, spool, outputs) cost.
    const cpuFile = corpus(cwd, 10_000);
    const cpuBefore = fake.requests.length;
    const ours = await run(fake, cwd, ['corpus', 'build', '--in', cpuFile, '--out', join(cwd, 'out-cpu'), '--style', 'bench', '--concurrency', '64']);
    const ourRequests = fake.requests.length - cpuBefore;
    const bare = await run(fake, cwd, [cpuFile, join(cwd, 'bare.jsonl'), '64', 'editor-1'], [], BARE);
    const bareRequests = fake.requests.length - cpuBefore - ourRequests;
    const cpuRatio = ours.cpuMs / ourRequests / (bare.cpuMs / bareRequests);
    const small = await run(fake, cwd, args(corpus(cwd, 10_000), join(cwd, 'out-10k')));
    const before = fake.requests.length;
    const big = await run(fake, cwd, args(corpus(cwd, 30_000), join(cwd, 'out-30k')));
    const made = fake.requests.length - before;
    const again = await run(fake, cwd, args(join(cwd, 'corpus-30000.jsonl'), join(cwd, 'out-30k')));
    const repeat = fake.requests.length - before - made;
    // Held by tokens per minute (the RPM bound far above): the limiter must reach the TPM bound too.
    const tpmOut = join(cwd, 'out-tpm');
    const tpmRun = await run(fake, cwd, ['corpus', 'build', '--in', corpus(cwd, 4_000), '--out', tpmOut, '--style', 'bench', '--rpm', '1000000', '--tpm', String(TPM), '--concurrency', '64']);
    const usage = (JSON.parse(readFileSync(join(tpmOut, 'report.json'), 'utf8')) as { editor: { usage: { promptTokens: number; completionTokens: number } } }).editor.usage;
    const tokens = usage.promptTokens + usage.completionTokens;
    const tpmRate = tokens / (tpmRun.ms / 60_000);
    const bound = RPM / 60;
    const rate = made / (big.ms / 1000);
    results.push(
      {
        name: 'CPU per request, 10,000 blocks, vs a bare openai SDK loop',
        value: cpuRatio,
        unit: '×',
        goal: '≤1.2×',
        ok: cpuRatio <= 1.2 && ours.code === 0,
        note: `${((ours.cpuMs / ourRequests) * 1000).toFixed(0)} µs vs ${((bare.cpuMs / bareRequests) * 1000).toFixed(0)} µs a request (${ourRequests} and ${bareRequests} requests)`,
      },
      {
        name: `throughput, 30,000 blocks at a ${RPM.toLocaleString('en')} RPM bound`,
        value: rate / bound,
        unit: '×',
        goal: '≥0.95×, one request per block',
        ok: rate / bound >= 0.95 && made === 30_000 && big.code === 0,
        note: `${rate.toFixed(0)} req/s vs a bound of ${bound} req/s, ${made} requests in ${(big.ms / 1000).toFixed(1)} s (start-up included)`,
      },
      { name: 'second run over the same corpus: requests made', value: repeat, unit: 'requests', goal: '0', ok: repeat === 0 && again.code === 0 },
      { name: 'peak RSS, 30,000 blocks', value: big.maxRssMB, unit: 'MB', goal: '≤300 MB', ok: big.maxRssMB <= 300 },
      {
        name: `throughput, 4,000 blocks at a ${TPM.toLocaleString('en')} TPM bound`,
        value: tpmRate / TPM,
        unit: '×',
        goal: '≥0.95×',
        ok: tpmRate / TPM >= 0.95 && tpmRun.code === 0,
        note: `${Math.round(tpmRate).toLocaleString('en')} tokens/min (${tokens.toLocaleString('en')} tokens in ${(tpmRun.ms / 1000).toFixed(1)} s, start-up included)`,
      },
      { name: 'peak RSS growth from 10,000 to 30,000 blocks', value: big.maxRssMB / small.maxRssMB, unit: '×', goal: '≤1.5× (flat)', ok: big.maxRssMB / small.maxRssMB <= 1.5, note: `${small.maxRssMB.toFixed(0)} MB → ${big.maxRssMB.toFixed(0)} MB` },
    );
  } finally {
    await fake.close();
    rmSync(cwd, { recursive: true, force: true });
  }
  return results;
}
