import { describe, expect, it } from 'vitest';
import { slackEnabled, slackMissing } from '../../../adapters/slack/enabled.js';

const with_ = (slack: { botToken?: string; signingSecret?: string; appToken?: string }) => ({ slack: { apiUrl: 'https://slack.com/api/', ...slack } });

describe('whether Slack starts, and what a half-made set-up lacks', () => {
  it('on with a bot token and a signing secret (HTTP) or an app token (Socket Mode); nothing is missing then', () => {
    for (const s of [with_({ botToken: 'xoxb-1', signingSecret: 's' }), with_({ botToken: 'xoxb-1', appToken: 'xapp-1' })]) {
      expect(slackEnabled(s)).toBe(true);
      expect(slackMissing(s)).toBeUndefined();
    }
  });

  it('off with nothing set, and silent about it (Slack is simply not used)', () => {
    expect(slackEnabled(with_({}))).toBe(false);
    expect(slackMissing(with_({}))).toBeUndefined();
  });

  it('names the missing half, never a value', () => {
    expect(slackMissing(with_({ botToken: 'xoxb-secret-value' }))).toBe('SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP events) nor SLACK_APP_TOKEN (Socket Mode) is');
    expect(slackMissing(with_({ signingSecret: 'sig-value' }))).toBe('SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not');
    expect(slackMissing(with_({ appToken: 'xapp-value' }))).toBe('SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not');
  });
});
