/**
 * Chaos: the real redis-server behind the real Slack adapter (Bolt receiver over signed HTTP, fake Slack
 * Web API, fake OpenAI model for the answers and the style) is stopped in the middle of a steady stream of
 * `app_mention`s and ⭐ reactions, and started again ~1.5 s later while the stream goes on.
 *
 * - Every mention is answered in its thread exactly once: styled while the store is up, unstyled
 *   (fail-open) when the channel's style cannot be read.
 * - Every reaction's user is told exactly one of "Saved…" / "Not saved…", and the store agrees after the
 *   restart: every "Saved" sample is there, no "Not saved" one is; reactions after the restart save again,
 *   and re-reacting a refused message saves it.
 *
 * The redis-server here persists (append-only file, fsync on every write), as a Redis holding training
 * samples must: `startRedis()` restarts empty, which would lose every sample saved before the outage and
 * every claim, so it could tell neither "reported saved and then missing" nor a claim that outlives the
 * outage. One line of figures is printed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { slackPlace } from '../../adapters/slack/convert.js';
import { messageSampleId } from '../../src/bot/save-sample.js';
import { SampleRepository } from '../../src/samples/repository.js';
import { openStore } from '../../src/store/index.js';
import type { NamespaceName, Namespace, Store } from '../../src/store/types.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from '../adapters/slack/harness.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventRequest, type SlackCall } from '../fakes/slack.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';

const ANSWER_PROMPT = 'ANSWER-SOURCE';
const CHANNEL = channelId('general');
const PLACE = slackPlace(CHANNEL);
const ASKER = userId('ana');
const AUTHOR = userId('carl');
/** One mention and one reaction per tick. */
const TICK_MS = 75;
/** Ticks sent before redis-server is stopped, and after the store answers again. */
const BEFORE_TICKS = 16;
const AFTER_TICKS = 16;
/** How long redis-server stays down. */
const OUTAGE_MS = 1500;
const SAVED = /^Saved as a sample for style `loud`/;
const NOT_SAVED = /^Not saved: the store is unavailable .*Nothing was changed; try again in a moment\.$/;
/** A write cut off mid-flight by the stop: either outcome is honest, so the user is told it is unknown. */
const UNCONFIRMED = /^Could not confirm that it was saved: .* Reacting again is safe: a message is never saved twice\.$/;

let model: FakeOpenAI;
beforeAll(async () => {
  // Answers for the answer source (its system prompt), upper case for the style model.
  model = await startFakeOpenAI({
    responder: (body: { messages: Array<{ content: string }> }) => {
      const user = String(body.messages.at(-1)?.content ?? '');
      return body.messages[0]?.content === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
    },
  });
});
afterAll(async () => {
  await model.close();
});

async function startBot(store: Store): Promise<SlackHarness> {
  return startSlackHarness({
    store,
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [PLACE.key]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT, timeoutMs: 5000 } },
      // One asker sends a mention every 75 ms: far past the per-user reply limit, which is not under test here.
      rateLimits: { replies: { points: 0 } },
    },
    env: { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: model.url },
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const told = (h: SlackHarness, user: string): SlackCall[] => h.fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === user);
const star = (h: SlackHarness, user: string, ts: string) =>
  h.send(eventRequest({ type: 'reaction_added', user, reaction: 'star', item_user: AUTHOR, item: { type: 'message', channel: CHANNEL, ts } }));

interface Sent {
  i: number;
  /** The mentioning message, or the starred one. */
  ts: string;
  sentAt: number;
  status?: number;
}
interface Reaction extends Sent {
  user: string;
  text: string;
}

describe('chaos: redis-server restarts under a steady stream of Slack mentions and ⭐ reactions', () => {
  it('answers every mention once, tells every reaction Saved or Not saved truthfully, and saves again after the restart', async () => {
    const redis = await startRedis({ durableDir: tmpDir('redis-aof') });
    const store = await openStore({ redisUrl: redis.url, dataDir: tmpDir('chaos-redis'), sqlitePath: '', connectTimeoutMs: 500 });
    const h = await startBot(store);
    const samples = new SampleRepository(store);
    try {
      // Warm Bolt, the model and the store so the first ticks are not timed with start-up.
      expect((await h.ctx.restyler.restyle('warm up', { channel: PLACE.key })).text).toBe('WARM UP');

      const mentions: Sent[] = [];
      const reactions: Reaction[] = [];
      const sends: Array<Promise<void>> = [];
      const t = { stop: 0, stopped: 0, start: 0, recovered: 0 };
      let streaming = true;

      const mention = async (i: number): Promise<void> => {
        const text = `<@${h.fake.bot.userId}> question ${i}`;
        const ts = h.fake.addMessage({ channel: CHANNEL, text, user: ASKER });
        const m: Sent = { i, ts, sentAt: Date.now() };
        mentions.push(m);
        m.status = (await h.send(eventRequest({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }))).status;
      };
      const react = async (i: number): Promise<void> => {
        const text = `A line worth keeping, number ${i}.`;
        const ts = h.fake.addMessage({ channel: CHANNEL, text, user: AUTHOR });
        // One user per reaction, so each one's reply is told apart.
        const r: Reaction = { i, ts, user: userId(`star${i}`), text, sentAt: Date.now() };
        reactions.push(r);
        r.status = (await star(h, r.user, ts)).status;
      };
      const stream = (async () => {
        for (let i = 0; streaming; i++) {
          sends.push(mention(i), react(i));
          await sleep(TICK_MS);
        }
      })();
      const ticked = (n: number) => vi.waitFor(() => expect(mentions.length).toBeGreaterThanOrEqual(n), { timeout: 15_000, interval: 5 });

      // The outage, while the stream goes on.
      await ticked(BEFORE_TICKS);
      t.stop = Date.now();
      await redis.stop();
      t.stopped = Date.now();
      await sleep(OUTAGE_MS);
      t.start = Date.now();
      await redis.start();
      // The store reconnects by itself (bounded backoff): "after" starts when the bot's own store answers.
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 20 });
      t.recovered = Date.now();
      await ticked(mentions.length + AFTER_TICKS);
      streaming = false;
      await stream;
      await Promise.all(sends);
      await h.settle();

      // --- Answers
      const posts = h.fake.callsTo('chat.postMessage');
      const answers = mentions.map((m) => {
        const mine = posts.filter((c) => c.args.thread_ts === m.ts);
        const first = mine[0];
        const styled = first?.args.metadata?.event_payload?.style === 'loud';
        return { ...m, count: mine.length, styled, text: String(first?.args.text), doneAt: first?.at ?? Infinity };
      });
      // Store up for the whole of it: answered before the stop began, or asked once the store answered again.
      const up = <T extends { sentAt: number; doneAt: number }>(x: T) => x.doneAt < t.stop || x.sentAt >= t.recovered;
      // Store down for the whole of it: asked once redis-server had exited, answered before it was started.
      const down = <T extends { sentAt: number; doneAt: number }>(x: T) => x.sentAt >= t.stopped && x.doneAt < t.start;
      const posted = answers.filter((a) => a.count >= 1);
      const outage = answers.filter((a) => !up(a));
      const upAnswers = answers.filter(up);
      const downAnswers = answers.filter(down);

      // --- Reactions, as told during the stream, checked against the store now that it is back.
      const outcomes = await Promise.all(
        reactions.map(async (r) => {
          const replies = told(h, r.user);
          const said = replies.map((c) => String(c.args.text));
          const saved = said.length === 1 && SAVED.test(said[0]!);
          const refused = said.length === 1 && NOT_SAVED.test(said[0]!);
          const unsure = said.length === 1 && UNCONFIRMED.test(said[0]!);
          const sample = await samples.get(messageSampleId(PLACE, r.ts));
          return { ...r, said, saved, refused, unsure, sample, doneAt: replies[0]?.at ?? Infinity };
        }),
      );
      const saved = outcomes.filter((o) => o.saved);
      const refused = outcomes.filter((o) => o.refused);
      const missing = saved.filter((o) => o.sample === undefined);
      const storedAnyway = refused.filter((o) => o.sample !== undefined);
      const afterRestart = outcomes.filter((o) => o.sentAt >= t.recovered);

      // --- The retry: re-reacting every refused message, now that the store is back.
      const retries = await Promise.all(refused.map((o) => star(h, o.user, o.ts)));
      await h.settle();
      const retried = await Promise.all(
        refused.map(async (o) => ({ ...o, said: told(h, o.user).map((c) => String(c.args.text)), sample: await samples.get(messageSampleId(PLACE, o.ts)) })),
      );
      const retrySaved = retried.filter((o) => o.said.length === 2 && SAVED.test(o.said[1]!) && o.sample !== undefined);
      const lost = afterRestart.filter((o) => !o.saved).length + (refused.length - retrySaved.length);

      console.log(
        `chaos redis-restart: ${posted.length}/${mentions.length} answers posted (${outage.length} during the outage: ` +
          `${outage.filter((a) => a.styled).length} styled from a mapped channel, ${outage.filter((a) => !a.styled).length} unstyled → fail-open; ` +
          `${upAnswers.filter((a) => a.styled).length}/${upAnswers.length} styled while the store was up; ` +
          `${answers.filter((a) => a.count > 1).length} duplicated), ` +
          `${reactions.length} reactions: ${saved.length} saved, ${refused.length} refused while down ("Not saved"), ${outcomes.filter((o) => o.unsure).length} unconfirmed, ` +
          `${missing.length} reported saved and then missing, ${storedAnyway.length} refused but stored, ` +
          `${retrySaved.length}/${refused.length} saved on retry, ${lost} lost after restart ` +
          `[redis down ${t.start - t.stop} ms, store back ${t.recovered - t.start} ms after the restart]`,
      );

      // Every event was acked.
      expect([...mentions, ...reactions].filter((s) => s.status !== 200)).toEqual([]);

      // Every mention answered exactly once, in its thread; nothing else posted; the asker never apologised to.
      expect(answers.filter((a) => a.count !== 1).map((a) => ({ i: a.i, posts: a.count }))).toEqual([]);
      expect(posts).toHaveLength(mentions.length);
      expect(told(h, ASKER)).toEqual([]);
      // Styled whenever the store was up; the neutral answer, intact, otherwise.
      for (const a of answers) expect(a.text).toBe(a.styled ? `ANSWER TO QUESTION ${a.i}` : `Answer to question ${a.i}`);
      expect(upAnswers.filter((a) => !a.styled).map((a) => a.i)).toEqual([]);
      // The outage really hit answers: some were asked and answered while redis-server was gone, all unstyled.
      expect(downAnswers.length).toBeGreaterThan(0);
      expect(downAnswers.filter((a) => a.styled).map((a) => a.i)).toEqual([]);
      expect(upAnswers.filter((a) => a.sentAt >= t.recovered).length).toBeGreaterThanOrEqual(AFTER_TICKS);

      // Every reaction's user was told exactly one of Saved / Not saved / could not confirm.
      expect(outcomes.filter((o) => !o.saved && !o.refused && !o.unsure).map((o) => ({ i: o.i, said: o.said }))).toEqual([]);
      // The store agrees with what people were told.
      expect(missing.map((o) => o.i)).toEqual([]);
      expect(storedAnyway.map((o) => o.i)).toEqual([]);
      for (const o of saved) expect(o.sample).toMatchObject({ styled: o.text, savedBy: `slack:${o.user}`, style: 'loud', status: 'pending' });
      // Saved while the store was up, refused while it was gone, saved again after the restart.
      expect(outcomes.filter((o) => up(o) && !o.saved).map((o) => o.i)).toEqual([]);
      expect(outcomes.filter((o) => down(o) && !o.refused).map((o) => o.i)).toEqual([]);
      expect(refused.length).toBeGreaterThan(0);
      expect(afterRestart.length).toBeGreaterThanOrEqual(AFTER_TICKS);
      // A retry works.
      expect(retries.map((r) => r.status)).toEqual(refused.map(() => 200));
      expect(retried.filter((o) => !retrySaved.includes(o)).map((o) => ({ i: o.i, said: o.said, stored: o.sample !== undefined }))).toEqual([]);
      expect(lost).toBe(0);
      expect(await samples.list()).toHaveLength(saved.length + refused.length);
    } finally {
      await h.close();
      await store.close();
    }
  });

  it('a save cut off between its claim and its write is refused, and re-reacting after the restart saves it', async () => {
    const redis = await startRedis({ durableDir: tmpDir('redis-aof') });
    const real = await openStore({ redisUrl: redis.url, dataDir: tmpDir('chaos-redis'), sqlitePath: '', connectTimeoutMs: 500 });
    // The real store, except that redis-server is stopped right after one given claim was granted: the
    // worst moment of an outage for a save, made exact.
    let cutAfter: string | undefined;
    const store: Store = {
      kind: real.kind,
      location: real.location,
      sampleIndex: real.sampleIndex,
      ns<T>(name: NamespaceName): Namespace<T> {
        return real.ns<T>(name);
      },
      async claim(key, ttlMs) {
        const granted = await real.claim(key, ttlMs);
        if (key === cutAfter) {
          cutAfter = undefined;
          await redis.stop();
        }
        return granted;
      },
      release: (key) => real.release(key),
      ping: () => real.ping(),
      close: () => real.close(),
    };
    const h = await startBot(store);
    const samples = new SampleRepository(real);
    try {
      const ts = h.fake.addMessage({ channel: CHANNEL, text: 'Saved at the worst moment.', user: AUTHOR });
      const id = messageSampleId(PLACE, ts);
      const user = userId('dora');
      cutAfter = `sample:${id}`;
      expect((await star(h, user, ts)).status).toBe(200);
      await h.settle();
      expect(cutAfter).toBeUndefined(); // the cut happened
      expect(told(h, user).map((c) => c.args.text)).toEqual([expect.stringMatching(NOT_SAVED)]);

      await redis.start();
      await vi.waitFor(() => real.ping(), { timeout: 10_000, interval: 20 });
      expect(await samples.get(id)).toBeUndefined();

      expect((await star(h, user, ts)).status).toBe(200);
      await h.settle();
      expect(told(h, user).map((c) => c.args.text)).toEqual([expect.stringMatching(NOT_SAVED), expect.stringMatching(SAVED)]);
      expect(await samples.get(id)).toMatchObject({ styled: 'Saved at the worst moment.', savedBy: `slack:${user}` });
    } finally {
      await h.close();
      await real.close();
    }
  });
});
