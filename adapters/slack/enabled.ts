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
