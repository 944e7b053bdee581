/**
 * SIGTERM while the Discord gateway is unreachable: a real `restyle bot` connected to the fake Discord,
 * which then goes away entirely (REST and gateway closed). The bot reconnects in a loop; SIGTERM with
 * `--shutdown-seconds 2` must still end the process (it used to stay alive, logging "discord: shard
 * reconnecting", long past the deadline). The exit wait below is 10x the deadline: a bound on "ever
 * exits", not a speed target.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeDiscord } from '../fakes/discord.js';
import { tmpDir } from '../support/tmp.js';
import { killAllBots, startBot, writeConfig } from './bot-process.js';

afterEach(() => killAllBots());

describe('chaos: SIGTERM while the Discord gateway is unreachable', () => {
  it('ends the process after --shutdown-seconds', { timeout: 60_000 }, async () => {
    const discord = await startFakeDiscord();
    const cwd = tmpDir('discord-stop');
    writeConfig(cwd, { styles: { loud: { model: 'loud-1' } } });
    const bot = await startBot(cwd, { OPENAI_API_KEY: 'sk-x', DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.url, RESTYLE_DATA_DIR: `${cwd}/data` }, ['--shutdown-seconds', '2']);
    await vi.waitFor(() => expect(bot.logs()).toMatch(/discord: on/), { timeout: 20_000 });
    await discord.close();
    await vi.waitFor(() => expect(bot.logs()).toMatch(/reconnect/i), { timeout: 20_000, interval: 100 });
    const exit = bot.stop('SIGTERM');
    const code = await Promise.race([exit, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 20_000))]);
    expect(code).not.toBe('alive');
    expect(bot.logs()).toMatch(/shutting down/);
  });
});
