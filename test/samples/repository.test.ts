import { afterEach, describe, expect, it } from 'vitest';
import { FeedbackRepository } from '../../src/samples/feedback.js';
import { SampleRepository } from '../../src/samples/repository.js';
import type { Sample } from '../../src/samples/types.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

const sample = (id: string, extra: Partial<Sample> = {}): Sample => ({
  id,
  kind: 'styled',
  status: 'pending',
  source: 'reaction',
  style: 'loud',
  platform: 'slack',
  channel: 'slack:C1',
  savedBy: 'slack:UANA',
  styled: `text of ${id}`,
  createdAt: `2025-01-01T00:00:0${id.length % 10}.000Z`,
  ...extra,
});

const backends: Array<[string, () => Promise<Store>]> = [
  ['sqlite', async () => { const dir = tmpDir('samples'); return openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/s.sqlite`, connectTimeoutMs: 1000 }); }],
  // A Redis of this test's own: the shared one is used by other files at the same time.
  ['redis', async () => openStore({ redisUrl: (await startRedis()).url, dataDir: '', sqlitePath: '', connectTimeoutMs: 1000 })],
];

describe.each(backends)('SampleRepository on %s', (_name, open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('lists by status, style, channel and user, oldest first', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    await repo.save(sample('b', { createdAt: '2025-01-02T00:00:00.000Z', author: 'slack:UCARL' }));
    await repo.save(sample('a', { createdAt: '2025-01-01T00:00:00.000Z', channel: 'slack:C2' }));
    await repo.save(sample('c', { createdAt: '2025-01-03T00:00:00.000Z', status: 'approved', style: 'quiet', savedBy: 'slack:UBEN' }));
    expect((await repo.list()).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect((await repo.list({ status: 'pending' })).map((s) => s.id)).toEqual(['a', 'b']);
    expect((await repo.list({ status: ['approved', 'rejected'], style: 'quiet' })).map((s) => s.id)).toEqual(['c']);
    expect((await repo.list({ channel: 'slack:C2' })).map((s) => s.id)).toEqual(['a']);
    expect((await repo.list({ user: 'slack:UCARL' })).map((s) => s.id)).toEqual(['b']);
    expect(await repo.counts({ channel: 'slack:C1' })).toEqual({ pending: 1, approved: 1, rejected: 0 });
  });

  it('serves the review queue, preferring the reviewer channel, and records verdicts', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    await repo.save(sample('old', { createdAt: '2025-01-01T00:00:00.000Z', channel: 'slack:C9' }));
    await repo.save(sample('new', { createdAt: '2025-01-05T00:00:00.000Z' }));
    expect(await repo.nextPending()).toMatchObject({ sample: { id: 'old' }, pending: 2 });
    expect(await repo.nextPending({ channel: 'slack:C1' })).toMatchObject({ sample: { id: 'new' }, pending: 2 });
    const at = new Date('2025-02-01T00:00:00.000Z');
    expect(await repo.review('new', 'approved', 'slack:URITA', at)).toMatchObject({ status: 'approved', reviewedBy: 'slack:URITA', reviewedAt: at.toISOString() });
    expect(await repo.review('gone', 'rejected', 'slack:URITA')).toBeUndefined();
    expect((await repo.nextPending({ channel: 'slack:C1' })).sample?.id).toBe('old');
  });

  it('forgets what a user saved or wrote, samples and feedback', async () => {
    store = await open();
    const repo = new SampleRepository(store);
    const feedback = new FeedbackRepository(store);
    await repo.save(sample('mine'));
    await repo.save(sample('wrote', { savedBy: 'slack:UBEN', author: 'slack:UANA' }));
    await repo.save(sample('theirs', { savedBy: 'slack:UBEN' }));
    await feedback.record({ id: FeedbackRepository.idFor('slack:C1', '1.0', 'slack:UANA'), verdict: 'down', style: 'loud', model: null, channel: 'slack:C1', messageId: '1.0', user: 'slack:UANA', neutral: 'n', styled: 's', at: '2025-01-01T00:00:00.000Z' });
    expect(await repo.forget('slack:UANA')).toBe(2);
    expect(await feedback.forget('slack:UANA')).toBe(1);
    expect((await repo.list()).map((s) => s.id)).toEqual(['theirs']);
    expect(await feedback.list()).toEqual([]);
  });
});
