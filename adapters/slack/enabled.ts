import type { Settings } from '../../src/config/load.js';

/**
 * Whether `restyle bot` starts Slack, decided without importing Bolt (so `restyle text` never loads it):
 * a bot token plus either a signing secret (HTTP events) or an app-level token (Socket Mode).
 */
export function slackEnabled(settings: Pick<Settings, 'slack'>): boolean {
  const s = settings.slack;
  return Boolean(s.botToken && (s.signingSecret || s.appToken));
}

export const SLACK_ENABLE_HINT = 'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)';

/** Why Slack is off although some of its variables are set (a half-made set-up), else undefined. */
export function slackMissing(settings: Pick<Settings, 'slack'>): string | undefined {
  const s = settings.slack;
  if (slackEnabled(settings)) return undefined;
  if (s.botToken) return 'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP events) nor SLACK_APP_TOKEN (Socket Mode) is';
  if (s.signingSecret || s.appToken) return `${s.signingSecret ? 'SLACK_SIGNING_SECRET' : 'SLACK_APP_TOKEN'} is set but SLACK_BOT_TOKEN is not`;
  return undefined;
}
