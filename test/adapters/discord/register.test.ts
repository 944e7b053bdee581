import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REST, Routes } from 'discord.js';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord.js';
import { runInProcess } from '../../support/cli.js';
import { tmpDir } from '../../support/tmp.js';

let fake: FakeDiscord;
let guildId: string;
let cwd: string;

beforeAll(async () => {
  fake = await startFakeDiscord();
  guildId = fake.addGuild({ name: 'Acme' }).id;
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  cwd = tmpDir('discord-register');
});

const env = (extra: Record<string, string> = {}) => ({ DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url, ...extra });
const puts = () => fake.requestsTo('PUT', /\/commands$/);

describe('restyle discord register', () => {
  it('registers /restyle and both context menus globally, and running it again changes nothing', async () => {
    const first = await runInProcess(['discord', 'register'], { env: env(), cwd });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^Registered 3 commands globally for application \d+:/);
    expect(first.stdout).toContain('/restyle: new');
    expect(first.stdout).toContain('"Restyle message" (message menu): new');
    expect(first.stdout).toContain('"Save as style sample" (message menu): new');

    const commands = fake.commands();
    expect(commands.map((c) => [c.name, c.type])).toEqual([
      ['restyle', 1],
      ['Restyle message', 3],
      ['Save as style sample', 3],
    ]);
    const slash = commands[0];
    expect(slash.options.map((o: { name: string }) => o.name)).toEqual(['text', 'map', 'unmap', 'styles', 'status', 'review', 'forget', 'help']);
    const styleOptions = slash.options.flatMap((o: { options?: Array<{ name: string; autocomplete?: boolean }> }) => o.options ?? []).filter((o: { name: string }) => o.name === 'style');
    expect(styleOptions).toHaveLength(2);
    expect(styleOptions.every((o: { autocomplete?: boolean }) => o.autocomplete === true)).toBe(true);

    const again = await runInProcess(['discord', 'register'], { env: env(), cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already up to date; nothing changed/);
    expect(again.stdout).not.toMatch(/: (new|updated)$/m);
    expect(fake.commands().map((c) => [c.id, c.version])).toEqual(commands.map((c) => [c.id, c.version]));
    // Bulk overwrite both times: one request each, never a create per command.
    expect(puts().map((r) => r.body.length)).toEqual([3, 3]);
    expect(fake.requestsTo('POST', /\/commands$/)).toEqual([]);
  });

  it('learns the application from the token when DISCORD_CLIENT_ID is unset, and uses it when set', async () => {
    const before = fake.requestsTo('GET', /^\/applications\/@me$/).length;
    await runInProcess(['discord', 'register'], { env: env(), cwd });
    expect(fake.requestsTo('GET', /^\/applications\/@me$/).length).toBe(before + 1);
    const r = await runInProcess(['discord', 'register'], { env: env({ DISCORD_CLIENT_ID: fake.applicationId }), cwd });
    expect(r.code).toBe(0);
    expect(fake.requestsTo('GET', /^\/applications\/@me$/).length).toBe(before + 1);
  });

  it('reports commands it updates and retires', async () => {
    const rest = new REST({ api: fake.url, version: '10' }).setToken(fake.token);
    await rest.put(Routes.applicationGuildCommands(fake.applicationId, guildId), {
      body: [
        { name: 'restyle', description: 'an older description', type: 1, options: [] },
        { name: 'old-command', description: 'retired', type: 1 },
      ],
    });
    const r = await runInProcess(['discord', 'register', '--guild', guildId], { env: env(), cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Registered 3 commands in server ${guildId}`));
    expect(r.stdout).toContain('/restyle: updated');
    expect(r.stdout).toContain('old-command: removed');
    expect(fake.commands(guildId).map((c) => c.name)).toEqual(['restyle', 'Restyle message', 'Save as style sample']);
  });

  it('says why Discord refused: not in the server, wrong application, bad token, no token, bad --guild', async () => {
    const stranger = await runInProcess(['discord', 'register', '--guild', '123456789012345678'], { env: env(), cwd });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toBe('restyle: Discord refused to register in server 123456789012345678: the bot is not in that server, or was invited without the applications.commands scope (invite URL in docs/discord.md)\n');

    const wrongApp = await runInProcess(['discord', 'register'], { env: env({ DISCORD_CLIENT_ID: '999999999999999999' }), cwd });
    expect(wrongApp.code).toBe(2);
    expect(wrongApp.stderr).toMatch(/^restyle: Discord refused application 999999999999999999: DISCORD_CLIENT_ID must be the Application ID/);

    const badToken = await runInProcess(['discord', 'register'], { env: env({ DISCORD_BOT_TOKEN: 'not-the-token' }), cwd });
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toMatch(/^restyle: DISCORD_BOT_TOKEN was rejected by Discord \(401\)/);
    expect(badToken.stderr).not.toContain('not-the-token');

    const noToken = await runInProcess(['discord', 'register'], { env: { DISCORD_API_URL: fake.url }, cwd });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^restyle: DISCORD_BOT_TOKEN is not set/);

    const badGuild = await runInProcess(['discord', 'register', '--guild', 'acme'], { env: env(), cwd });
    expect(badGuild.code).toBe(2);
    expect(badGuild.stderr).toMatch(/^restyle: --guild must be a server id/);
  });
});
