import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ADDON } from './sqlite-connection.js';

/** Pages the WAL may reach before a writer checkpoints it itself: only if the checkpointer is gone. */
export const WAL_SAFETY_PAGES = 10_000;

// CommonJS run by the worker (eval): its own connection, a PASSIVE checkpoint (never waits for, never blocks
// a writer) every interval; errors are left for the next round (a busy file, a checkpoint already running).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0, ...(workerData.addon ? { nativeBinding: workerData.addon } : {}) });
const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Copies the WAL into the database file from a worker thread. The store's connection is synchronous, so a
 * checkpoint SQLite ran on its own (every 1,000 pages by default) would copy pages and fsync on the event
 * loop — 20–30 ms stalls on the ack path. The worker starts after the first interval, so a CLI command that
 * is done by then never starts one.
 */
export function startCheckpointer(path: string, intervalMs: number): Checkpointer {
  let worker: Worker | undefined;
  let stopped = false;
  const start = setTimeout(() => {
    if (stopped) return;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER, { eval: true, workerData: { path, driver, intervalMs, addon: ADDON } });
    worker.on('error', () => {}); // the writers' safety net (WAL_SAFETY_PAGES) takes over
    worker.unref();
  }, intervalMs);
  start.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(start);
      const w = worker;
      if (!w) return;
      // Held alive until it has closed its connection: an unref'd worker alone would let the process end here.
      w.ref();
      const exited = new Promise((resolve) => w.once('exit', resolve));
      w.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
      await w.terminate();
    },
  };
}
