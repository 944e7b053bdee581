import { RestyleError } from '../../src/errors.js';

/** What to tell a person when Slack refuses a call, for the errors people can fix themselves. */
const HINTS: Record<string, string> = {
  not_in_channel: 'the bot is not in this channel; invite it with /invite and try again',
  channel_not_found: 'the bot cannot see this channel; invite it with /invite and try again',
  is_archived: 'the channel is archived',
  msg_too_long: 'the message is too long for Slack',
  missing_scope: 'the Slack app lacks a permission (scope); reinstall it from adapters/slack/manifest.yaml',
  invalid_auth: 'SLACK_BOT_TOKEN was rejected by Slack',
  not_authed: 'SLACK_BOT_TOKEN is missing',
  account_inactive: 'the Slack app was uninstalled or its token revoked',
  ratelimited: 'Slack is rate-limiting the bot; try again in a minute',
  expired_trigger_id: 'the button press is too old to open a dialog; press Edit again',
};

/** The fix for a Slack error code people can fix themselves, if we know one. */
export function slackHint(code: string): string | undefined {
  return HINTS[code];
}

/** A Web API failure as a RestyleError with a one-line message (never the token or the request). */
export function slackError(error: unknown, method: string): RestyleError {
  if (error instanceof RestyleError) return error;
  const e = error as { code?: string; data?: { error?: string; needed?: string }; statusCode?: number; retryAfter?: number; message?: string };
  const code = e.data?.error ?? (e.code === 'slack_webapi_rate_limited_error' ? 'ratelimited' : undefined);
  if (code) {
    const hint = HINTS[code];
    const needed = code === 'missing_scope' && e.data?.needed ? ` (needs ${e.data.needed})` : '';
    return new RestyleError(code === 'ratelimited' ? 'quota_exceeded' : 'permission_denied', `Slack ${method} failed: ${hint ?? code}${needed}`, {
      cause: error,
      details: { slackError: code },
      retryable: code === 'ratelimited',
    });
  }
  const status = e.statusCode ? ` (HTTP ${e.statusCode})` : '';
  return new RestyleError('internal', `Slack ${method} failed${status}: ${e.message ?? String(error)}`, { cause: error, retryable: true });
}
