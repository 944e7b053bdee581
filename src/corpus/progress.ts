import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';

/** Where a build stands, reported after every block. */
export interface ProgressState {
  /** Blocks finished (answered, reused, rejected or failed) out of `total`. */
  done: number;
  total: number;
  /** Requests paid for so far in this run. */
  requests: number;
  reused: number;
  failed: number;
  /** Editor tokens spent so far in this run. */
  tokens: number;
  /** Editor spend so far, when a price is configured. */
  spendUsd?: number;
}

export interface ProgressSink {
  update(state: ProgressState): void;
  /** The work is over (or aborted): stop drawing. */
  stop(): void;
}

const n = (x: number): string => x.toLocaleString('en-US');

function compact(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  return n(x);
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Rate and ETA from the requests made so far (reused answers are instant and would flatter both). */
function pace(s: ProgressState, startedAt: number, now: number): { rate: string; eta: string } {
  const secs = Math.max(1e-3, (now - startedAt) / 1000);
  const perSec = s.requests / secs;
  const left = s.total - s.done;
  // Reused answers come back at once: judge the pace by the blocks that needed a request, when there are any.
  const paced = s.requests > 0 ? s.done - s.reused : s.done;
  const perBlock = paced > 0 ? (now - startedAt) / paced : Infinity;
  return { rate: `${perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(1)} req/s`, eta: left === 0 ? '0s' : duration(left * perBlock) };
}

/**
 * A progress bar (cli-progress) when stderr is a terminal; otherwise a plain line at every 10% and at
 * least every `intervalMs`, so CI logs show the run moving without drowning in updates.
 */
export function createProgress(stream: Writable & { isTTY?: boolean }, label = 'de-styling', options: { intervalMs?: number; now?: () => number } = {}): ProgressSink {
  const now = options.now ?? (() => Date.now());
  const startedAt = now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: `${label} [{bar}] {value}/{total} · {rate} · ETA {eta2} · {tokens} tokens{spend}{failedText}`,
        barsize: 24,
        hideCursor: true,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(s) {
        const { rate, eta } = pace(s, startedAt, now());
        const payload = { rate, eta2: eta, tokens: compact(s.tokens), spend: s.spendUsd !== undefined ? ` · $${s.spendUsd.toFixed(2)}` : '', failedText: s.failed > 0 ? ` · ${n(s.failed)} failed` : '' };
        if (!started) {
          bar.start(s.total, s.done, payload);
          started = true;
        } else bar.update(s.done, payload);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  const intervalMs = options.intervalMs ?? 30_000;
  let lastAt = startedAt;
  let lastTenth = 0;
  return {
    update(s) {
      const t = now();
      const tenth = s.total > 0 ? Math.floor((s.done / s.total) * 10) : 10;
      if (tenth === lastTenth && t - lastAt < intervalMs && s.done !== s.total) return;
      if (s.done === s.total && lastTenth === 10) return;
      lastTenth = tenth;
      lastAt = t;
      const { rate, eta } = pace(s, startedAt, t);
      stream.write(
        `${label}: ${n(s.done)}/${n(s.total)} blocks (${s.total > 0 ? Math.floor((s.done / s.total) * 100) : 100}%) · ${n(s.requests)} request(s), ${n(s.reused)} reused` +
          `${s.failed > 0 ? `, ${n(s.failed)} failed` : ''} · ${rate} · ${compact(s.tokens)} tokens${s.spendUsd !== undefined ? ` · $${s.spendUsd.toFixed(2)}` : ''} · ETA ${eta}\n`,
      );
    },
    stop() {},
  };
}
