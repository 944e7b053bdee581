import { describe, expect, it } from 'vitest';
import { discordEnabled, discordMissing } from '../../../adapters/discord/enabled.js';

const with_ = (discord: { botToken?: string; clientId?: string }) => ({ discord: { apiUrl: 'https://discord.com/api', ...discord } });

describe('whether Discord starts, and what a half-made set-up lacks', () => {
  it('on with a bot token (the application id is only for `restyle discord register`)', () => {
    expect(discordEnabled(with_({ botToken: 't' }))).toBe(true);
    expect(discordMissing(with_({ botToken: 't' }))).toBeUndefined();
  });

  it('off and silent with nothing set; off with a warning naming the token when only the application id is set', () => {
    expect(discordMissing(with_({}))).toBeUndefined();
    expect(discordEnabled(with_({ clientId: '112233445566778899' }))).toBe(false);
    expect(discordMissing(with_({ clientId: '112233445566778899' }))).toBe('DISCORD_CLIENT_ID is set but DISCORD_BOT_TOKEN is not');
  });
});
