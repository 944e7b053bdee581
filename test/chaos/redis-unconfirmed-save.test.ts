/**
 * Chaos (issue 13, "Not saved" that was saved): the real redis-server freezes (SIGSTOP) just as a ⭐ save
 * is written, so the write times out although Redis applies it once it runs again. Through the real Slack
 * adapter (signed HTTP, fake Slack Web API):
 * - Redis runs again before the bot reads back: the user is told "Saved", and the sample is there.
 * - Redis is still frozen when the bot reads back: the user is told it could not be confirmed and that
 *   reacting again is safe; once Redis runs, the sample is there, and reacting again says "Already saved".
 * The store is the real Redis store; the test only decides when redis-server freezes and thaws.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { slackPlace } from '../../adapters/slack/convert.js';
import { openRedisStore } from '../../src/store/redis.js';
import { messageSampleId } from '../../src/bot/save-sample.js';
import { SampleRepository } from '../../src/samples/repository.js';
import type { Namespace, NamespaceName, Store } from '../../src/store/types.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from '../adapters/slack/harness.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventRequest } from '../fakes/slack.js';
import { startRedis } from '../support/redis.js';
import type { RedisProcess } from '../support/redis-server.js';

const CHANNEL = channelId('general');
const PLACE = slackPlace(CHANNEL);
const AUTHOR = userId('carl');
// Long enough that a healthy command answers on a very busy machine (400 ms failed the claim at load 17);
// the frozen write still times out, only later.
const COMMAND_TIMEOUT_MS = 3000;

let model: FakeOpenAI;
beforeAll(async () => {
  model = await startFakeOpenAI();
});
afterAll(() => model.close());

/**
 * The real store, except that writing a sample first freezes redis-server; `thaw` says when it runs
 * again: after the write has timed out (before the bot reads back) or only when the test says so.
 */
function freezingOnSampleWrite(store: Store, redis: RedisProcess, thaw: 'after-timeout' | 'manual'): Store {
  const wrap = <T>(ns: Namespace<T>): Namespace<T> => ({
    get: (k) => ns.get(k),
    getMany: (keys) => ns.getMany(keys),
    delete: (k) => ns.delete(k),
    entries: () => ns.entries(),
    async set(k, v, ttl) {
      redis.pause();
      try {
        await ns.set(k, v, ttl);
      } finally {
        if (thaw === 'after-timeout') redis.resume();
      }
    },
  });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'ns') return <T>(name: NamespaceName) => (name === 'samples' ? wrap(target.ns<T>(name)) : target.ns<T>(name));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

async function setUp(thaw: 'after-timeout' | 'manual'): Promise<{ h: SlackHarness; redis: RedisProcess; store: Store; close: () => Promise<void> }> {
  const redis = await startRedis();
  const store = await openRedisStore({ url: redis.url, connectTimeoutMs: 1000, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  const h = await startSlackHarness({
    store: freezingOnSampleWrite(store, redis, thaw),
    config: { styles: { loud: { model: 'loud-1' } }, channels: { [PLACE.key]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    env: { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: model.url },
  });
  return {
    h,
    redis,
    store,
    close: async () => {
      redis.resume();
      await h.close();
      await store.close();
    },
  };
}

const star = (h: SlackHarness, user: string, ts: string) => h.send(eventRequest({ type: 'reaction_added', user, reaction: 'star', item_user: AUTHOR, item: { type: 'message', channel: CHANNEL, ts } }));
const toldTo = (h: SlackHarness, user: string): string[] => h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === user).map((c) => String(c.args.text));

describe('chaos: a sample write whose outcome is unknown (redis-server frozen mid-write)', () => {
  it('Redis runs again before the read-back: the user is told "Saved" (the write landed), never "Not saved"', async () => {
    const { h, store, close } = await setUp('after-timeout');
    try {
      const ts = h.fake.addMessage({ channel: CHANNEL, text: 'A line worth keeping.', user: AUTHOR });
      const user = userId('ana');
      expect((await star(h, user, ts)).status).toBe(200);
      await vi.waitFor(() => expect(toldTo(h, user)).toHaveLength(1), { timeout: 10_000, interval: 20 });
      expect(toldTo(h, user)[0]).toMatch(/^Saved as a sample for style `loud`/);
      expect(await new SampleRepository(store).get(messageSampleId(PLACE, ts))).toMatchObject({ styled: 'A line worth keeping.', savedBy: `slack:${user}` });
    } finally {
      await close();
    }
  });

  it('Redis still frozen at the read-back: "could not confirm…, reacting again is safe"; the sample landed, and reacting again says Already saved', async () => {
    const { h, redis, store, close } = await setUp('manual');
    try {
      const ts = h.fake.addMessage({ channel: CHANNEL, text: 'Another line worth keeping.', user: AUTHOR });
      const user = userId('ben');
      expect((await star(h, user, ts)).status).toBe(200);
      await vi.waitFor(() => expect(toldTo(h, user)).toHaveLength(1), { timeout: 10_000, interval: 20 });
      const first = toldTo(h, user)[0]!;
      expect(first).toMatch(new RegExp(String.raw`^Could not confirm that it was saved: the store is unavailable \(.*no answer within ${COMMAND_TIMEOUT_MS} ms\)\. Reacting again is safe: a message is never saved twice\.$`));
      expect(first).not.toMatch(/Not saved|Nothing was changed/);

      redis.resume();
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 20 });
      expect(await new SampleRepository(store).get(messageSampleId(PLACE, ts))).toMatchObject({ styled: 'Another line worth keeping.', savedBy: `slack:${user}` });
      // Reacting again is indeed safe: nothing is written twice, and the answer is the truth.
      await star(h, user, ts);
      await vi.waitFor(() => expect(toldTo(h, user)).toHaveLength(2), { timeout: 10_000, interval: 20 });
      expect(toldTo(h, user)[1]).toBe('Already saved: that message is a sample already.');
    } finally {
      await close();
    }
  });
});
