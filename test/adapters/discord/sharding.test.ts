/**
 * Discord sharding: the bot run as two shards against the fake gateway, each shard its own "process"
 * (client, context and store connection) sharing one Redis, and as one client with internal sharding.
 * Each shard gets its own guilds' events; a reaction replayed on both shards is saved once.
 */
import { Events, type Client } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startDiscord, type RunningDiscord } from '../../../adapters/discord/app.js';
import { createDiscordClient } from '../../../adapters/discord/client.js';
import { createContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { shardOf, startFakeDiscord, type FakeDiscord, type Json } from '../../fakes/discord.js';
import { startRedis } from '../../support/redis.js';

interface Shard {
  running: RunningDiscord;
  store: Store;
  /** Resolves once the client read everything the fake sent its sessions, and handled it. */
  settle(): Promise<void>;
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A guild id that Discord's formula puts on `shard` of `count`. */
function guildOn(shard: number, count: number, from: bigint): string {
  let n = from;
  while (shardOf(String(n << 22n), count) !== shard) n += 1n;
  return String(n << 22n);
}

/** One bot "process" logged in to `shards` of `count`, with its own connection to the Redis at `url`. */
async function startShard(fake: FakeDiscord, url: string, channels: string[], shards: number[], count: number): Promise<Shard> {
  // Samples are saved for mapped channels; saving one never calls the model.
  const config = { styles: { house: { model: 'house-1' } }, channels: Object.fromEntries(channels.map((c) => [`discord:${c}`, 'house'])) };
  const settings = settingsFrom(config, { OPENAI_API_KEY: 'sk-test', DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url });
  const store = await openStore({ redisUrl: url, dataDir: '', sqlitePath: '', connectTimeoutMs: 2_000 });
  const ctx = await createContext(settings, { store, logger: silentLogger() });
  const client: Client = createDiscordClient(settings, { shards, shardCount: count, rest: { retries: 0 } });
  const seen = new Map<number, number>(); // shard → last dispatch sequence read
  client.on(Events.Raw, (packet: { s?: number | null }, shard: number) => {
    if (typeof packet.s === 'number') seen.set(shard, Math.max(seen.get(shard) ?? 0, packet.s));
  });
  const running = await startDiscord({ ctx, client });
  cleanup.push(async () => {
    await running.stop();
    await store.close();
  });
  const mine = (): Array<{ shard: number; seq: number }> =>
    fake
      .sessions()
      .filter((s) => s.ws !== null && shards.includes(s.shard[0]))
      .map((s) => ({ shard: s.shard[0], seq: s.seq }));
  return {
    running,
    store,
    async settle() {
      for (;;) {
        await expect.poll(() => mine().every((s) => (seen.get(s.shard) ?? 0) >= s.seq), { timeout: 10_000, interval: 10 }).toBe(true);
        await running.idle();
        if (mine().every((s) => (seen.get(s.shard) ?? 0) >= s.seq)) return;
      }
    },
  };
}

async function world(): Promise<{ fake: FakeDiscord; redis: string; guilds: string[]; channels: string[]; author: string; ana: string }> {
  const fake = await startFakeDiscord({ shards: 2 });
  cleanup.push(() => fake.close());
  const redis = (await startRedis()).url;
  const guilds = [0, 1].map((shard) => fake.addGuild({ name: `Shard ${shard}`, id: guildOn(shard, 2, 7_000_000n) }).id);
  const channels = (await Promise.all(guilds.map((g) => fake.addChannel(g, { name: 'general' })))).map((c) => c.id);
  const author = fake.addUser('author').id;
  const ana = fake.addUser('ana').id;
  for (const g of guilds) for (const u of [author, ana]) fake.addMember(g, u);
  return { fake, redis, guilds, channels, author, ana };
}

function star(fake: FakeDiscord, message: { id: string; channel_id: string; guild_id?: string }, user: string): Json {
  return {
    user_id: user,
    channel_id: message.channel_id,
    message_id: message.id,
    guild_id: message.guild_id,
    member: fake.memberPayload(message.guild_id!, user),
    emoji: { id: null, name: '⭐' },
    burst: false,
    type: 0,
  };
}

/** What the bot told people in direct messages. */
const dms = (fake: FakeDiscord): string[] =>
  fake
    .allMessages()
    .filter((m) => fake.channel(m.channel_id)?.type === 1)
    .map((m) => m.content);

describe('Discord sharding', () => {
  it('two shards as two processes sharing Redis: each gets its guilds, a reaction replayed on both shards saves once', async () => {
    const { fake, redis, guilds, channels, author, ana } = await world();
    const shards = [await startShard(fake, redis, channels, [0], 2), await startShard(fake, redis, channels, [1], 2)];
    expect(shards.map((s) => [...s.running.client.guilds.cache.keys()])).toEqual([[guilds[0]], [guilds[1]]]);

    const messages = channels.map((c) => fake.addMessage({ channel: c, author, content: `A line worth keeping, in ${c}.` }));
    // Each reaction routed as Discord does: only the shard of its guild receives it.
    for (const m of messages) expect(await fake.dispatch('MESSAGE_REACTION_ADD', star(fake, m, ana))).toBe(1);
    await Promise.all(shards.map((s) => s.settle()));
    // Then both replayed on both shards (a resumed session, a re-shard): nothing saved twice.
    for (const m of messages) expect(await fake.dispatch('MESSAGE_REACTION_ADD', star(fake, m, ana), { shards: [0, 1] })).toBe(2);
    await Promise.all(shards.map((s) => s.settle()));

    for (const s of shards) {
      // Either process reads the same state from Redis.
      const samples = await new SampleRepository(s.store).list();
      expect(samples.map((x) => x.messageId).sort()).toEqual(messages.map((m) => m.id).sort());
    }
    // The process that does not serve a guild knows none of its channels, so discord.js drops the replay
    // there; the one that does recognises the identical event (adapters/discord/replay.ts) and says nothing.
    const told = dms(fake);
    expect(told.filter((t) => t.startsWith('Saved'))).toHaveLength(2);
    expect(told.filter((t) => t.startsWith('Already saved'))).toHaveLength(0);
  });

  it('two processes on the same shard (a deploy overlap): a reaction both receive is saved once, through Redis', async () => {
    const { fake, redis, channels, author, ana } = await world();
    const shards = [await startShard(fake, redis, channels, [0], 2), await startShard(fake, redis, channels, [0], 2)];
    const m = fake.addMessage({ channel: channels[0]!, author, content: 'Heard by two processes at once.' });
    for (let i = 0; i < 5; i++) expect(await fake.dispatch('MESSAGE_REACTION_ADD', star(fake, m, ana))).toBe(2);
    await Promise.all(shards.map((s) => s.settle()));
    expect((await new SampleRepository(shards[1]!.store).list()).map((x) => x.messageId)).toEqual([m.id]);
    expect(dms(fake).filter((t) => t.startsWith('Saved'))).toHaveLength(1);
    // The nine other deliveries of the same event make no second effect (no "Already saved" DMs).
    expect(dms(fake).filter((t) => t.startsWith('Already saved'))).toHaveLength(0);
  });

  it('one client with internal sharding (shards 0 and 1) serves both guilds, and a replay on both shards saves once', async () => {
    const { fake, redis, guilds, channels, author, ana } = await world();
    const both = await startShard(fake, redis, channels, [0, 1], 2);
    expect(fake.sessions().filter((s) => s.ws !== null).map((s) => s.shard).sort()).toEqual([[0, 2], [1, 2]]);
    expect([...both.running.client.guilds.cache.keys()].sort()).toEqual([...guilds].sort());

    const m = fake.addMessage({ channel: channels[1]!, author, content: 'Said once, heard on two shards.' });
    expect(await fake.dispatch('MESSAGE_REACTION_ADD', star(fake, m, ana), { shards: [0, 1] })).toBe(2);
    await both.settle();
    expect((await new SampleRepository(both.store).list()).map((x) => x.messageId)).toEqual([m.id]);
    // Both deliveries were handled: one saved it, the other was recognised as the same event and said nothing.
    expect(dms(fake).filter((t) => t.startsWith('Saved'))).toHaveLength(1);
    expect(dms(fake).filter((t) => t.startsWith('Already saved'))).toHaveLength(0);
  });
});
