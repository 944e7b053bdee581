import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EditorCache } from '../../src/corpus/cache.js';
import { tmpDir } from '../support/tmp.js';

const answer = (text: string) => ({ text, promptTokens: 10, completionTokens: 5, finishReason: 'stop' });

describe('EditorCache', () => {
  it('keeps answers across reopening, reading them back from disk by key', async () => {
    const file = join(tmpDir('cache'), '.cache', 'editor.jsonl');
    const a = await EditorCache.open(file);
    a.put('k1', answer('first'));
    a.put('k2', answer('second, with "quotes" and ünïcödé'));
    expect(a.get('k1')?.text).toBe('first');
    a.close();
    const b = await EditorCache.open(file);
    expect(b.entries).toBe(2);
    expect(b.get('k2')).toEqual(answer('second, with "quotes" and ünïcödé'));
    expect(b.get('nope')).toBeUndefined();
    b.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('cuts a torn last line (a write interrupted by a kill) and appends cleanly after it', async () => {
    const file = join(tmpDir('cache'), 'editor.jsonl');
    const a = await EditorCache.open(file);
    a.put('k1', answer('kept'));
    a.close();
    appendFileSync(file, '{"key":"k2","text":"half a li');
    const b = await EditorCache.open(file);
    expect(b.unreadable).toBe(1);
    expect(b.has('k2')).toBe(false);
    b.put('k3', answer('after the tear'));
    b.close();
    const c = await EditorCache.open(file);
    expect([c.get('k1')?.text, c.get('k3')?.text, c.unreadable]).toEqual(['kept', 'after the tear', 0]);
    c.close();
  });

  it('skips garbage lines and indexes many entries', async () => {
    const file = join(tmpDir('cache'), 'editor.jsonl');
    writeFileSync(file, 'not json\n\n');
    const a = await EditorCache.open(file);
    expect(a.unreadable).toBe(1);
    for (let i = 0; i < 3000; i++) a.put(`k${i}`, answer(`text ${i}`));
    a.close();
    const b = await EditorCache.open(file);
    expect(b.entries).toBe(3000);
    expect(b.get('k2999')?.text).toBe('text 2999');
    b.close();
  });

  it('writes the answers put in one turn of the event loop once it is over, without waiting for close (a kill keeps them)', async () => {
    const file = join(tmpDir('cache'), 'editor.jsonl');
    const a = await EditorCache.open(file);
    for (let i = 0; i < 5; i++) a.put(`k${i}`, answer(`turn one ${i}`));
    await vi.waitFor(() => expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5));
    a.put('k5', answer('turn two'));
    // Read back at once: the pending line is written first.
    expect(a.get('k5')?.text).toBe('turn two');
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    a.close();
  });

  it('tells answers stored by an earlier run from those stored since it was opened', async () => {
    const file = join(tmpDir('cache'), 'editor.jsonl');
    const a = await EditorCache.open(file);
    a.put('old', answer('paid for last time'));
    expect(a.fromEarlierRun('old')).toBe(false);
    a.close();
    const b = await EditorCache.open(file);
    b.put('new', answer('paid for now'));
    expect([b.fromEarlierRun('old'), b.fromEarlierRun('new'), b.fromEarlierRun('missing')]).toEqual([true, false, false]);
    b.close();
  });
});
