import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { RestyleError } from '../../src/errors.js';
import { openOutboxQueue } from '../../src/queue/outbox.js';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

/** A data dir whose SQLite queue holds one failed job (the platform refused it) and one waiting job. */
async function queueWithFailure(): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = tmpDir('jobs-cli');
  const dataDir = join(cwd, 'data');
  const queue = await openOutboxQueue({ path: join(dataDir, 'restyle.sqlite'), pollMs: 20 });
  queue.handle('slack.answer', {
    parse: (p) => p,
    run: async () => {
      throw new RestyleError('permission_denied', 'Slack chat.postMessage failed: the bot is not in this channel', { retryable: false });
    },
  });
  await queue.enqueue({ kind: 'slack.answer', id: 'slack.answer:CGENERAL:1.000001', payload: {} });
  await queue.enqueue({ kind: 'http.post', id: 'http.post:abc', payload: {} });
  await queue.start();
  await vi.waitFor(async () => expect((await queue.stats()).failed).toBe(1));
  await queue.close(0);
  return { cwd, env: { RESTYLE_DATA_DIR: dataDir } };
}

describe('restyle jobs', () => {
  it('lists the failed job with its reason; doctor warns about it; retry and drop act on it', async () => {
    const { cwd, env } = await queueWithFailure();
    const list = await runInProcess(['jobs', 'list'], { env, cwd });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/queue sqlite at .*restyle\.sqlite: 1 unfinished \(oldest \d+ s\), 0 waiting to retry, 1 failed/);
    expect(list.stdout).toMatch(/slack\.answer:CGENERAL:1\.000001\tslack\.answer\t.*\tpermission_denied: Slack chat\.postMessage failed: the bot is not in this channel/);

    const doctor = await runInProcess(['doctor'], { env, cwd });
    expect(doctor.stdout).toMatch(/! queue: 1 failed job\(s\) in sqlite at .*restyle jobs list/);

    const json = JSON.parse((await runInProcess(['jobs', 'list', '--json'], { env, cwd })).stdout) as { stats: { failed: number }; failed: Array<{ id: string }> };
    expect(json.stats.failed).toBe(1);
    expect(json.failed.map((f) => f.id)).toEqual(['slack.answer:CGENERAL:1.000001']);

    const retried = await runInProcess(['jobs', 'retry', 'slack.answer:CGENERAL:1.000001'], { env, cwd });
    expect(retried).toMatchObject({ code: 0, stdout: expect.stringContaining('queued again') });
    expect((await runInProcess(['jobs', 'list', '--json'], { env, cwd })).stdout).toContain('"failed": 0');

    const dropped = await runInProcess(['jobs', 'drop', 'http.post:abc'], { env, cwd });
    expect(dropped).toMatchObject({ code: 0, stdout: expect.stringContaining('http.post:abc: dropped') });
  });

  it('says which id is unknown, and refuses a bad --limit', async () => {
    const { cwd, env } = await queueWithFailure();
    const missing = await runInProcess(['jobs', 'retry', 'nope'], { env, cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/jobs retry nope: no failed job with that id/);
    const bad = await runInProcess(['jobs', 'list', '--limit', 'many'], { env, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit many: expected a whole number/);
  });
});
