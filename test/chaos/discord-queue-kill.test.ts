/**
 * Chaos on Discord, with real processes: `restyle bot` (bin/restyle.js) logged in to the fake Discord
 * (REST + gateway) answers mentions through its durable queue; the answer model takes 2 s, so 50 mentions
 * are in flight when the bot is SIGKILLed. Started again on the same SQLite file (or the same
 * redis-server), it must post every answer exactly once. The time from the restart to the last answer is
 * printed (a figure, not a limit). Then a ⭐ delivered twice (as Discord replays after a RESUME) makes one DM.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { answerRequests, chaosConfig, killAllBots, startBot, startChaosModel, waitDrained, writeConfig } from './bot-process.js';

const MENTIONS = 50;
const MODEL_MS = 2_000;

let model: FakeOpenAI;
let discord: FakeDiscord;
beforeEach(async () => {
  model = await startChaosModel();
  discord = await startFakeDiscord();
});
afterEach(async () => {
  killAllBots();
  await model.close();
  await discord.close();
});

describe.each(['sqlite', 'redis'] as const)('chaos: the Discord bot is SIGKILLed with 50 mentions in flight (%s)', (kind) => {
  it('posts every answer exactly once after the restart; a replayed ⭐ makes one DM', { timeout: 120_000 }, async () => {
    const guild = discord.addGuild({ name: 'Acme' });
    const channel = await discord.addChannel(guild.id, { name: 'general' });
    const ana = discord.addUser('ana');
    discord.addMember(guild.id, ana.id);
    const cwd = tmpDir(`discord-queue-kill-${kind}`);
    writeConfig(cwd, chaosConfig(`discord:${channel.id}`));
    const redis = kind === 'redis' ? await startRedis() : undefined;
    const env = {
      OPENAI_API_KEY: 'sk-chaos',
      OPENAI_BASE_URL: model.url,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.url,
      RESTYLE_DATA_DIR: `${cwd}/data`,
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };
    model.setLatency(MODEL_MS);
    const first = await startBot(cwd, env);
    await vi.waitFor(() => expect(first.logs()).toMatch(/discord: on/), { timeout: 30_000 });

    const asked: string[] = [];
    for (let i = 0; i < MENTIONS; i++) {
      const m = discord.addMessage({ channel: channel.id, author: ana.id, content: `<@${discord.bot.id}> question ${i}` });
      asked.push(m.id);
      expect(await discord.dispatch('MESSAGE_CREATE', discord.messagePayload(m))).toBe(1);
    }
    // Every mention is with the model (2 s): kill now.
    await vi.waitFor(() => expect(answerRequests(model).length).toBe(MENTIONS), { timeout: 30_000, interval: 20 });
    const answersTo = (id: string) => discord.posted(channel.id).filter((m) => m.message_reference?.message_id === id && m.content.toUpperCase().startsWith('ANSWER TO'));
    const answeredBeforeKill = asked.filter((id) => answersTo(id).length > 0).length;
    await first.kill();

    const restartedAt = Date.now();
    const second = await startBot(cwd, env);
    await vi.waitFor(() => expect(asked.filter((id) => answersTo(id).length === 0)).toEqual([]), { timeout: 90_000, interval: 100 });
    const boundMs = Date.now() - restartedAt;
    // Quiet: nothing left to run, so no late duplicate can still come.
    await waitDrained(second);
    const counts = asked.map((id) => answersTo(id).length);
    const lost = counts.filter((n) => n === 0).length;
    const duplicated = counts.filter((n) => n > 1).length;
    console.log(
      `chaos discord queue-kill (${kind}): ${MENTIONS} mentions, ${MODEL_MS} ms model, SIGKILL with ${MENTIONS - answeredBeforeKill} unanswered; after restart: ${MENTIONS - lost} answered, ${lost} lost, ${duplicated} duplicated; last answer ${boundMs} ms after the restart began`,
    );
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);

    // A ⭐ delivered twice (Discord resends events after a gateway RESUME): one sample, one DM.
    const line = discord.addMessage({ channel: channel.id, author: ana.id, content: 'A line worth keeping.' });
    const star = { user_id: ana.id, channel_id: channel.id, message_id: line.id, guild_id: guild.id, member: discord.memberPayload(guild.id, ana.id), emoji: { id: null, name: '⭐' }, burst: false, type: 0 };
    await discord.dispatch('MESSAGE_REACTION_ADD', star);
    await discord.dispatch('MESSAGE_REACTION_ADD', star);
    const dms = () => discord.posted(discord.dmChannel(ana.id).id).map((m) => m.content);
    await vi.waitFor(() => expect(dms()).toEqual([expect.stringMatching(/^Saved as a sample for style `loud`/)]), { timeout: 30_000, interval: 100 });
    await waitDrained(second);
    expect(dms()).toHaveLength(1);
    await second.stop();
  });
});
