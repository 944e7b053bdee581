/**
 * Issue 17, "latency stays": a Slack mention's ack with the durable queue (the mention is written to the
 * SQLite outbox inside ack()) against the same adapter without a queue, measured in the same run. Each setup
 * is a process of its own (bench/queue-rig.ts: its own libuv thread pool and event loop, as `restyle bot`),
 * and every tick sends one mention to each, in a rotating order, so a stall of a busy machine hits all alike.
 * Printed as the ratio of the p99s. (Discord's defer path does not touch the queue, so it has nothing to
 * compare.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Outbox, RigMessage, RigReply } from './queue-rig.js';
import { percentile, type BenchResult } from './types.js';

const RIG = new URL('./queue-rig.ts', import.meta.url);
const PER_RIG = 1_000;
const GAP_MS = 20;

interface Rig {
  readonly outbox: Outbox;
  ask(m: RigMessage): void;
  /** Ack times, in arrival order. */
  acks: number[];
  next(): Promise<RigReply>;
  child: ChildProcess;
}

async function startRig(outbox: Outbox): Promise<Rig> {
  const child = fork(RIG, [outbox], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: Array<(m: RigReply) => void> = [];
  const rig: Rig = { outbox, child, acks: [], ask: (m) => void child.send(m), next: () => new Promise((resolve) => waiting.push(resolve)) };
  const failed: string[] = [];
  child.on('message', (m: RigReply) => {
    if ('ack' in m) rig.acks.push(m.ack);
    else if ('error' in m) failed.push(m.error);
    else waiting.shift()?.(m);
    if (failed.length === 1) process.stderr.write(`queue bench (${outbox}): ${failed[0]}\n`);
  });
  await rig.next();
  return rig;
}

async function ticks(rigs: Rig[], tag: string, count: number): Promise<void> {
  const before = rigs.map((r) => r.acks.length);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + i * GAP_MS;
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    for (let k = 0; k < rigs.length; k++) rigs[(i + k) % rigs.length]!.ask({ mention: `${tag}-${i}` });
  }
  // Every mention acked (open loop: the acks come back over IPC).
  while (rigs.some((r, j) => r.acks.length < before[j]! + count)) await new Promise((resolve) => setTimeout(resolve, 20));
}

export default async function queueBench(): Promise<BenchResult[]> {
  const rigs = await Promise.all((['none', 'shared'] as const).map(startRig));
  const [plain, shared] = rigs as [Rig, Rig];
  try {
    await ticks(rigs, 'warm', 100);
    for (const r of rigs) r.acks.length = 0;
    await ticks(rigs, 'm', PER_RIG);
    const enqueue: Record<string, number[]> = {};
    for (const r of [shared]) {
      r.ask({ report: true });
      const m = await r.next();
      enqueue[r.outbox] = 'enqueueMs' in m ? m.enqueueMs.slice(-PER_RIG) : [];
    }
    const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
    const ratio = percentile(shared.acks, 99) / percentile(plain.acks, 99);
    return [
      {
        name: 'Slack mention ack p99, with the SQLite queue / without',
        value: ratio,
        unit: '×',
        goal: '≤1.2×',
        ok: ratio <= 1.2,
        note: `with ${p(shared.acks, 99)} ms, without ${p(plain.acks, 99)} ms (p50 ${p(shared.acks, 50)} / ${p(plain.acks, 50)} ms); ${plain.acks.length} mentions each, one to each setup every ${GAP_MS} ms, 2 s answer model, one process per setup`,
      },
      ...(['shared'] as const).map((k) => ({
        name: `the outbox write alone (queue.enqueue inside ack), p99`,
        value: percentile(enqueue[k]!, 99),
        unit: 'ms',
        note: `p50 ${percentile(enqueue[k]!, 50).toFixed(2)} ms, max ${Math.max(...enqueue[k]!).toFixed(1)} ms over ${enqueue[k]!.length} writes`,
      })),
    ];
  } finally {
    for (const r of rigs) {
      const exited = new Promise((resolve) => r.child.once('exit', resolve));
      r.ask({ close: true });
      await exited;
    }
  }
}
