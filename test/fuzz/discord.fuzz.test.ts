/**
 * Property-based fuzzing of the Discord adapter through the fake gateway: random and malformed
 * INTERACTION_CREATE and MESSAGE_REACTION_ADD dispatches reach the real discord.js client. Whatever arrives:
 * no unhandled rejection (vitest fails the run on one; in production it would end the process), the
 * gateway session stays up, no stack trace in the logs, and a valid /restyle interaction is still answered.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { FakeMessage } from '../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { idFor, startDiscordHarness, type DiscordHarness } from '../adapters/discord/harness.js';

const STACK = /\\n\s+at |\bat [^\s]+ \(.*:\d+:\d+\)|\(file:\/\/|node:internal/;

let model: FakeOpenAI;
let h: DiscordHarness;
let seeded: FakeMessage;
const logs: string[] = [];

beforeAll(async () => {
  model = await startFakeOpenAI();
  h = await startDiscordHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`discord:${idFor('channel', 'general')}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 2000 },
    },
    env: { OPENAI_API_KEY: 'sk-fuzz', OPENAI_BASE_URL: model.url },
    logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logs.push(line) } as never }),
  });
  const general = await h.channel('general');
  h.user('ana');
  seeded = h.fake.addMessage({ channel: general.id, author: h.user('carl'), content: 'A line worth keeping.' });
});
afterAll(async () => {
  await h?.close();
  await model?.close();
});

/** A valid `/restyle help` is answered (deferred, then the help text edited in). */
async function stillAnswers(): Promise<void> {
  const i = await h.slash('help', {}, 'ana', 'general');
  await h.settle();
  const shown = h.shownFor(i);
  expect(shown.at(-1)?.text).toMatch(/restyle/i);
}

const json = fc.jsonValue({ maxDepth: 2 });
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const snowflake = fc.bigInt({ min: 100_000_000_000_000_000n, max: 999_999_999_999_999_999n }).map(String);
/** The gateway routes by guild_id (shard = id >> 22), so a dispatched one is a snowflake or not a string at all. */
const routable = json.filter((v) => typeof v !== 'string');

/** Mostly the real thing, sometimes anything at all: near-valid input reaches the bot, garbage tests discord.js. */
const mostly = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: json });
/** Drop up to two of the keys. */
const dropSome = <T extends Record<string, unknown>>(record: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> =>
  record.chain((r) => fc.subarray(Object.keys(r), { maxLength: 2 }).map((drop) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k)))));

/** `data` of the interactions restyle handles, each field sometimes garbage. */
function interactionData(): fc.Arbitrary<{ type: number | unknown; data: unknown; onMessage?: boolean }> {
  const str = fc.record({ type: mostly(fc.constant(3)), name: mostly(fc.constantFrom('text', 'style')), value: mostly(text) });
  const sub = fc.record({ type: mostly(fc.constant(1)), name: mostly(fc.constantFrom('text', 'map', 'unmap', 'styles', 'status', 'review', 'help', 'forget')), options: mostly(fc.array(str, { maxLength: 2 })) });
  const slash = dropSome(fc.record({ id: mostly(snowflake), name: mostly(fc.constant('restyle')), type: mostly(fc.constant(1)), options: mostly(fc.array(sub, { minLength: 1, maxLength: 1 })) }));
  const button = dropSome(fc.record({ custom_id: mostly(fc.oneof(fc.constantFrom('post', 'edit', 'save', 'discard', 'approve', 'reject').map((a) => `restyle:${a}:nope`), text)), component_type: mostly(fc.constant(2)) }));
  const modal = dropSome(
    fc.record({
      custom_id: mostly(fc.constant('restyle_edit:nope')),
      components: mostly(fc.constant([{ type: 18, id: 1, component: { type: 4, id: 2, custom_id: 'text', value: 'Edited.' } }])),
    }),
  );
  const menu = dropSome(
    fc.record({
      id: mostly(snowflake),
      name: mostly(fc.constantFrom('Restyle message', 'Save as style sample')),
      type: mostly(fc.constant(3)),
      target_id: mostly(fc.constant(seeded.id)),
      resolved: mostly(fc.constant({ messages: { [seeded.id]: h.fake.messagePayload(seeded) } })),
    }),
  );
  const focused = fc.record({ type: fc.constant(3), name: fc.constant('style'), value: mostly(text), focused: mostly(fc.constant(true)) });
  const autocomplete = dropSome(fc.record({ id: mostly(snowflake), name: mostly(fc.constant('restyle')), type: mostly(fc.constant(1)), options: mostly(fc.constant([]).chain(() => focused.map((f) => [{ type: 1, name: 'text', options: [f] }]))) }));
  return fc.oneof(
    fc.record({ type: mostly(fc.constant(2)), data: slash }),
    fc.record({ type: mostly(fc.constant(3)), data: button, onMessage: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }),
    fc.record({ type: mostly(fc.constant(5)), data: modal }),
    fc.record({ type: mostly(fc.constant(2)), data: menu }),
    fc.record({ type: mostly(fc.constant(4)), data: autocomplete }),
  );
}

describe('Discord gateway fuzz', () => {
  it('INTERACTION_CREATE with random data (Discord-built envelope): nothing crashes, the session stays up', async () => {
    const general = await h.channel('general');
    const ana = h.user('ana');
    await fc.assert(
      fc.asyncProperty(interactionData(), async ({ type, data, onMessage }) => {
        // The fake builds the envelope (id, token, member, channel) and registers the interaction, so the bot's
        // callbacks are accepted and the payload goes all the way through the handlers.
        const i = await h.fake.interact({ type: type as number, user: ana, channel: general.id, data, ...(onMessage ? { message: seeded } : {}) });
        await h.settle();
        expect(h.running.ready()).toBe(true);
        // Deferred ("thinking…") is always followed by an answer, even when the handler failed.
        const seen = h.fake.events.filter((e) => e.interactionId === i.id);
        if (seen[0]?.kind === 'callback' && seen[0].type === 5) {
          expect(seen.slice(1).map((e) => e.kind)).toEqual([expect.stringMatching(/^(edit-original|followup|delete-original)$/)]);
          const answer = seen[1]!.body?.content;
          if (typeof answer === 'string') expect(answer).not.toMatch(STACK);
        }
      }),
      {
        numRuns: 150,
        // A well-formed /restyle text always runs too.
        examples: [[{ type: 2, data: { id: '1', name: 'restyle', type: 1, options: [{ type: 1, name: 'text', options: [{ type: 3, name: 'text', value: 'Fuzz me.' }] }] } }]],
      },
    );
    await stillAnswers();
  });

  it('INTERACTION_CREATE with a random envelope: nothing crashes, the session stays up', async () => {
    const general = await h.channel('general');
    const ana = h.user('ana');
    const member = { ...h.fake.memberPayload(h.guildId, ana), permissions: '0' };
    const envelope = fc.tuple(
      interactionData(),
      dropSome(
        fc.record({
          id: mostly(snowflake),
          application_id: mostly(fc.constant(h.fake.applicationId)),
          token: mostly(text),
          version: mostly(fc.constant(1)),
          guild_id: fc.oneof({ weight: 4, arbitrary: fc.constant(h.guildId) }, { weight: 1, arbitrary: fc.oneof(snowflake, routable) }),
          channel_id: mostly(fc.constant(general.id)),
          channel: mostly(fc.constant({ id: general.id, type: 0, guild_id: h.guildId, name: 'general' })),
          member: mostly(fc.constant(member)),
          app_permissions: mostly(fc.constant('0')),
          locale: mostly(fc.constant('en-US')),
        }),
      ),
    );
    const payload = fc.oneof({ weight: 1, arbitrary: json }, { weight: 5, arbitrary: envelope.map(([d, e]) => ({ ...e, ...d })) });
    await fc.assert(
      fc.asyncProperty(payload, async (d) => {
        await h.push('INTERACTION_CREATE', d);
        await h.settle();
        expect(h.running.ready()).toBe(true);
      }),
      { numRuns: 150 },
    );
    await stillAnswers();
  });

  it('random MESSAGE_REACTION_ADD dispatches: nothing crashes, the session stays up', async () => {
    const general = await h.channel('general');
    const ana = h.user('ana');
    const emoji = mostly(dropSome(fc.record({ id: fc.oneof(fc.constant(null), snowflake, json), name: mostly(fc.constantFrom('⭐', '👍', '👎', '🎉')), animated: fc.boolean() })));
    const reaction = dropSome(
      fc.record({
        user_id: mostly(fc.oneof(fc.constant(ana), snowflake)),
        channel_id: mostly(fc.constant(general.id)),
        message_id: mostly(fc.oneof(fc.constant(seeded.id), snowflake)),
        guild_id: fc.oneof({ weight: 4, arbitrary: fc.constant(h.guildId) }, { weight: 1, arbitrary: fc.oneof(snowflake, routable) }),
        member: mostly(fc.constant(h.fake.memberPayload(h.guildId, ana))),
        emoji,
        burst: fc.boolean(),
        type: mostly(fc.constantFrom(0, 1)),
        message_author_id: mostly(fc.constant(seeded.author.id)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 1, arbitrary: json }, { weight: 5, arbitrary: reaction }), async (d) => {
        await h.push('MESSAGE_REACTION_ADD', d);
        await h.settle();
        expect(h.running.ready()).toBe(true);
      }),
      {
        numRuns: 150,
        // One well-formed ⭐ always runs, so the handler path (reading the message, saving it) is covered.
        examples: [[{ user_id: ana, channel_id: general.id, message_id: seeded.id, guild_id: h.guildId, member: h.fake.memberPayload(h.guildId, ana), emoji: { id: null, name: '⭐' }, burst: false, type: 0 }]],
      },
    );
    await stillAnswers();
  });

  it('afterwards: one gateway session throughout, malformed events logged in one line, no stack traces', () => {
    // The fuzz reached the bot, not only discord.js: it answered interactions and told reacting people the outcome.
    const callbacks = h.fake.requestsTo('POST', /^\/interactions\/[^/]+\/[^/]+\/callback$/).filter((r) => r.status === 204).length;
    const directMessages = h.fake.requestsTo('POST', /^\/users\/@me\/channels$/).length;
    expect(callbacks).toBeGreaterThan(25);
    expect(directMessages).toBeGreaterThan(0);
    expect(h.fake.sessions()).toHaveLength(1);
    expect(h.client.isReady()).toBe(true);
    expect(logs.some((line) => line.includes('malformed gateway event dropped'))).toBe(true);
    expect(logs.filter((line) => STACK.test(line))).toEqual([]);
  });
});
