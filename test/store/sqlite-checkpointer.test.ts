import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite WAL checkpoints', () => {
  // The store's writes go to the WAL; SQLite itself would copy them into the database file only at
  // 10,000 pages now (the safety net). The file growing under 300 writes is the worker's checkpoint.
  it('a worker thread copies the WAL into the database file while the store keeps writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restyle-checkpoint-'));
    dirs.push(dir);
    const path = join(dir, 'restyle.sqlite');
    const store = await openSqliteStore(path, { checkpointIntervalMs: 50 });
    stores.push(store);
    const before = statSync(path).size;
    const previews = store.ns<{ text: string }>('previews');
    for (let i = 0; i < 300; i++) await previews.set(`p${i}`, { text: `${i} `.padEnd(2_000, 'x') });
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 300 * 2_000), { timeout: 15_000, interval: 50 });
    expect(await previews.get('p299')).toEqual({ text: '299 '.padEnd(2_000, 'x') });
  });

});
