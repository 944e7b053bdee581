/**
 * Indexing a store written before the sample index, killed half-way: a real `restyle doctor --fix` process
 * is SIGKILLed while it indexes 50,000 samples; `restyle doctor` then reports the indexing as stopped
 * half-way, `doctor --fix` resumes it, and the counts equal a full scan — on SQLite and on Redis.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { describe, expect, it, vi } from 'vitest';
import { openSqliteDb } from '../../src/queue/sqlite-db.js';
import { SampleRepository } from '../../src/samples/repository.js';
import type { Sample } from '../../src/samples/types.js';
import { openRedisStore } from '../../src/store/redis.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { BIN, runInProcess } from '../support/cli.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { oldSample, writeUnindexed } from '../support/unindexed-store.js';

const N = 50_000;

/**
 * 50,000 samples as the code before the index stored them: the first written by Keyv, the rest copied in bulk
 * in the exact form Keyv gave the first (writing each through Keyv would take minutes on a busy machine).
 */
async function writeOld(kind: 'sqlite' | 'redis', where: string): Promise<void> {
  const first = oldSample(0);
  await writeUnindexed(kind, where, [first]);
  if (kind === 'sqlite') {
    const db = await openSqliteDb(where, 5_000);
    const [row] = await db.all("SELECT value FROM keyv WHERE key = 'samples:old-0'");
    const raw = String(row!.value);
    expect(raw).toContain(JSON.stringify(first));
    await db.run('BEGIN');
    for (let i = 1; i < N; i++) await db.run('INSERT INTO keyv(key, value) VALUES(?, ?)', `samples:old-${i}`, raw.replace(JSON.stringify(first), JSON.stringify(oldSample(i))));
    await db.run('COMMIT');
    await db.close();
    return;
  }
  const client = createClient({ url: where });
  await client.connect();
  const raw = (await client.get('restyle:samples:old-0'))!;
  expect(raw).toContain(JSON.stringify(first));
  for (let i = 1; i < N; i += 5_000) {
    const multi = client.multi();
    for (let j = i; j < Math.min(N, i + 5_000); j++) multi.set(`restyle:samples:old-${j}`, raw.replace(JSON.stringify(first), JSON.stringify(oldSample(j))));
    await multi.exec();
  }
  await client.close();
}

/** The migration's saved position, read straight from the backend (undefined before the first batch and once done). */
async function cursorOf(kind: 'sqlite' | 'redis', where: string): Promise<string | undefined> {
  if (kind === 'sqlite') {
    const db = await openSqliteDb(where, 5_000);
    try {
      const rows = await db.all("SELECT value FROM restyle_meta WHERE key = 'samples_index_cursor'").catch(() => []);
      return rows[0]?.value === undefined ? undefined : String(rows[0].value);
    } finally {
      await db.close();
    }
  }
  const client = createClient({ url: where });
  await client.connect();
  try {
    return (await client.get('restyle:idx:samples:migration-cursor')) ?? undefined;
  } finally {
    await client.close();
  }
}

describe.each(['sqlite', 'redis'] as const)('indexing a %s store, killed half-way', (kind) => {
  it('is reported as stopped half-way, resumed by doctor --fix, and its counts then equal a full scan', { timeout: 240_000 }, async () => {
    const cwd = tmpDir('migration-kill');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config/restyle.yaml'), 'styles: {}\n');
    const env: Record<string, string> = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
    let where: string;
    if (kind === 'sqlite') {
      mkdirSync(join(cwd, 'data'));
      where = join(cwd, 'data', 'restyle.sqlite');
    } else {
      where = (await startRedis()).url;
      env.REDIS_URL = where;
    }
    await writeOld(kind, where);

    const child = spawn(process.execPath, [BIN, 'doctor', '--fix'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Killed as soon as it has saved a position: part of the samples indexed, the rest not.
    await vi.waitFor(async () => expect(await cursorOf(kind, where)).toBeTruthy(), { timeout: 120_000, interval: 5 });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await cursorOf(kind, where)).toBeTruthy();

    const report = await runInProcess(['doctor'], { env, cwd });
    expect(report.stdout).toMatch(/! samples: .*indexing the samples stopped half-way; `restyle doctor --fix` resumes it/);
    const fixed = await runInProcess(['doctor', '--fix'], { env, cwd });
    expect(fixed.stdout).toContain(`✓ fix samples: resumed and finished indexing: ${N} samples in`);
    expect(await cursorOf(kind, where)).toBeUndefined();

    const store: Store = kind === 'sqlite' ? await openSqliteStore(where, { migration: { migrate: false } }) : await openRedisStore({ url: where, connectTimeoutMs: 5_000, migration: { migrate: false } });
    try {
      const full: Sample[] = [];
      for await (const [, s] of store.ns<Sample>('samples').entries()) full.push(s);
      expect(full).toHaveLength(N);
      const tally = (channel?: string): Record<string, number> => {
        const out: Record<string, number> = { pending: 0, approved: 0, rejected: 0 };
        for (const s of full) if (channel === undefined || s.channel === channel) out[s.status]! += 1;
        return out;
      };
      const repo = new SampleRepository(store);
      expect(await repo.counts()).toEqual(tally());
      for (const c of ['slack:C0', 'slack:C3']) expect(await repo.counts({ channel: c })).toEqual(tally(c));
      expect((await repo.nextPending()).pending).toBe(tally().pending);
      expect((await repo.list({ status: 'approved', channel: 'slack:C1' })).length).toBe(full.filter((s) => s.status === 'approved' && s.channel === 'slack:C1').length);
    } finally {
      await store.close();
    }
  });
});
