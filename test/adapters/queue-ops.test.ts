/** The queue as operators see it through `serve()`: /readyz checks it can be written, /metrics shows it. */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { serve } from '../../app/main.js';
import { createContext } from '../../src/app.js';
import { settingsFrom } from '../../src/config/load.js';
import { RestyleError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { openOutboxQueue } from '../../src/queue/outbox.js';
import { tmpDir } from '../support/tmp.js';

describe('serve() with a queue', () => {
  it('reports depth, retries and failures in /metrics, and /readyz fails once the queue cannot be written', async () => {
    const dir = tmpDir('queue-ops');
    const settings = settingsFrom({}, { RESTYLE_DATA_DIR: dir }, dir);
    const queue = await openOutboxQueue({ path: join(dir, 'restyle.sqlite'), pollMs: 20 });
    const ctx = await createContext(settings, { logger: silentLogger(), registry: 'off', queue });
    queue.handle('refused', {
      parse: (p) => p,
      run: async () => {
        throw new RestyleError('permission_denied', 'refused', { retryable: false });
      },
    });
    await queue.enqueue({ kind: 'refused', id: 'r1', payload: {} });
    await queue.enqueue({ kind: 'nobody-runs-this', id: 'w1', payload: {} });
    const services = await serve(ctx, { port: 0 });
    const base = `http://127.0.0.1:${services.port}`;
    try {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { queue: true } });
      let metrics = '';
      await vi.waitFor(async () => {
        metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toMatch(/^restyle_queue_failed_jobs 1$/m);
      });
      expect(metrics).toMatch(/^restyle_queue_depth 1$/m);
      expect(metrics).toMatch(/^restyle_queue_retrying_jobs 0$/m);
      expect(metrics).toMatch(/^restyle_queue_oldest_job_age_seconds \d/m);

      await queue.close(0);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ ready: false, checks: { queue: false } });
    } finally {
      await services.stop(1000);
      await ctx.close();
    }
  });
});
