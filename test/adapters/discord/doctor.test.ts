import { afterEach, describe, expect, it } from 'vitest';
import { INTENTS, startFakeDiscord, type FakeDiscord } from '../../fakes/discord.js';
import { runInProcess } from '../../support/cli.js';
import { tmpDir } from '../../support/tmp.js';

const fakes: FakeDiscord[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});
async function fakeDiscord(options: Parameters<typeof startFakeDiscord>[0] = {}): Promise<FakeDiscord> {
  const fake = await startFakeDiscord(options);
  fakes.push(fake);
  return fake;
}
const doctor = (fake: FakeDiscord, env: Record<string, string> = {}) =>
  runInProcess(['doctor'], { env: { DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url, ...env }, cwd: tmpDir('discord-doctor') });

describe('restyle doctor: Discord', () => {
  it('token, application, intent and registered commands: ✓; the token is never printed', async () => {
    const fake = await fakeDiscord();
    const before = await doctor(fake, { DISCORD_CLIENT_ID: fake.applicationId });
    expect(before.stdout).toMatch(/✓ discord: token works: bot \S+ of application restyle \(\d+\)/);
    expect(before.stdout).toContain('✓ discord intents: Message Content intent enabled');
    expect(before.stdout).toContain('! discord commands: not registered globally: restyle, Restyle message, Save as style sample — run `restyle discord register`');

    expect((await runInProcess(['discord', 'register'], { env: { DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url }, cwd: tmpDir('discord-doctor') })).code).toBe(0);
    const after = await doctor(fake, { DISCORD_CLIENT_ID: fake.applicationId });
    expect(after.stdout).toContain('✓ discord commands: /restyle and the context menus are registered globally');
    expect(after.code).toBe(0);
    expect(after.stdout + after.stderr).not.toContain(fake.token);
  });

  it('an application id without a bot token is ✗ naming the missing token', async () => {
    const r = await runInProcess(['doctor'], { env: { DISCORD_CLIENT_ID: '112233445566778899' }, cwd: tmpDir('discord-doctor') });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ discord: DISCORD_CLIENT_ID is set but DISCORD_BOT_TOKEN is not: Discord will not start');
  });

  it('the Message Content intent switched off is ✗ with where to switch it on', async () => {
    const fake = await fakeDiscord({ privilegedIntents: INTENTS.GuildMembers });
    const r = await doctor(fake);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ discord intents: the Message Content intent is off, so Discord refuses the bot's login: developer portal → Bot → Privileged Gateway Intents → Message Content Intent");
  });

  it('a rejected token and a client id of another application are ✗', async () => {
    const fake = await fakeDiscord();
    const bad = await doctor(fake, { DISCORD_BOT_TOKEN: 'not-the-token' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✗ discord: DISCORD_BOT_TOKEN was rejected (401)');
    const other = await doctor(fake, { DISCORD_CLIENT_ID: '123456789012345678' });
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`✗ discord: DISCORD_CLIENT_ID is 123456789012345678 but the bot token belongs to application ${fake.applicationId}`);
  });
});
