import { afterEach, describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/config/load.js';
import { forgetUserInStore } from '../../src/privacy/store.js';
import { sweepRetention } from '../../src/privacy/retention.js';
import { userMatcher } from '../../src/privacy/user.js';
import { FeedbackRepository } from '../../src/samples/feedback.js';
import { SampleRepository } from '../../src/samples/repository.js';
import type { Feedback, Sample } from '../../src/samples/types.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { RestyleError } from '../../src/errors.js';
import { redisUrl } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function open(kind: 'sqlite' | 'redis'): Promise<Store> {
  const dir = tmpDir('privacy');
  const settings = settingsFrom({}, { RESTYLE_DATA_DIR: dir, ...(kind === 'redis' ? { REDIS_URL: `${redisUrl().replace(/\/\d*$/, '')}/7` } : {}) }, dir);
  const store = await openStore(settings.store);
  stores.push(store);
  return store;
}

// Unique ids: the shared Redis outlives each test. Its database 7 is this file's alone, since retention
// sweeps a whole namespace.
const uid = () => `${process.pid}${Math.random().toString(36).slice(2, 8)}`;

function sample(id: string, over: Partial<Sample>): Sample {
  return { id, kind: 'styled', status: 'approved', source: 'reaction', style: 'pirate', platform: 'slack', channel: 'slack:C1', savedBy: 'slack:UADMIN', styled: `text ${id}`, createdAt: '2026-11-01T00:00:00.000Z', ...over };
}
function verdict(id: string, user: string, at: string): Feedback {
  return { id, verdict: 'up', style: 'pirate', model: 'ft:p', channel: 'slack:C1', messageId: id, user, neutral: 'n', styled: 's', at };
}

describe.each(['sqlite', 'redis'] as const)('privacy in the %s store', (kind) => {
  it('forget --user deletes what they wrote or saved and their verdicts, and nothing of anyone else', async () => {
    const store = await open(kind);
    const samples = new SampleRepository(store);
    const feedback = new FeedbackRepository(store);
    const u = `U${uid()}`;
    const other = `U${uid()}`;
    await samples.save(sample(`a${u}`, { author: `slack:${u}` }));
    await samples.save(sample(`b${u}`, { savedBy: `slack:${u}`, author: `slack:${other}` }));
    await samples.save(sample(`c${u}`, { author: `discord:${u}`, platform: 'discord', channel: 'discord:9' }));
    await samples.save(sample(`d${u}`, { author: `slack:${other}` }));
    await feedback.record(verdict(`f1${u}`, `slack:${u}`, '2026-11-02T00:00:00.000Z'));
    await feedback.record(verdict(`f2${u}`, `slack:${other}`, '2026-11-02T00:00:00.000Z'));

    expect(await forgetUserInStore(store, userMatcher(`slack:${u}`))).toEqual({ samples: 2, feedback: 1 });
    expect((await samples.list({ user: `discord:${u}` })).map((s) => s.id)).toEqual([`c${u}`]);
    // A bare id reaches every platform.
    expect(await forgetUserInStore(store, userMatcher(u))).toEqual({ samples: 1, feedback: 0 });
    expect(await samples.get(`d${u}`)).toMatchObject({ author: `slack:${other}` });
    expect(await feedback.get(`f2${u}`)).toBeDefined();
    expect(await forgetUserInStore(store, userMatcher(u))).toEqual({ samples: 0, feedback: 0 });
  });

  it('retention deletes samples and verdicts older than the window only', async () => {
    const store = await open(kind);
    const samples = new SampleRepository(store);
    const feedback = new FeedbackRepository(store);
    const t = uid();
    await samples.save(sample(`old${t}`, { createdAt: '2025-01-01T00:00:00.000Z' }));
    await samples.save(sample(`new${t}`, { createdAt: '2026-11-20T00:00:00.000Z' }));
    await feedback.record(verdict(`fold${t}`, 'slack:U1', '2025-06-01T00:00:00.000Z'));
    await feedback.record(verdict(`fnew${t}`, 'slack:U1', '2026-11-24T00:00:00.000Z'));
    const done = await sweepRetention(store, 30, new Date('2026-11-25T00:00:00.000Z'));
    expect(done.samples).toBeGreaterThanOrEqual(1);
    expect(await samples.get(`old${t}`)).toBeUndefined();
    expect(await samples.get(`new${t}`)).toBeDefined();
    expect(await feedback.get(`fold${t}`)).toBeUndefined();
    expect(await feedback.get(`fnew${t}`)).toBeDefined();
  });
});

describe('userMatcher', () => {
  it('qualified ids match exactly, bare ids any platform; blanks are a usage error', () => {
    expect(userMatcher('slack:U1')('slack:U1')).toBe(true);
    expect(userMatcher('slack:U1')('discord:U1')).toBe(false);
    expect(userMatcher('U1')('discord:U1')).toBe(true);
    expect(userMatcher('U1')('slack:U12')).toBe(false);
    expect(userMatcher('U1')(undefined)).toBe(false);
    expect(() => userMatcher('  ')).toThrow(RestyleError);
  });
});
