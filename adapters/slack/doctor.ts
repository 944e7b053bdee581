import type { CheckResult, DoctorCheck } from '../../src/doctor.js';
import { slackMissing } from './enabled.js';

/** The bot scopes adapters/slack/manifest.yaml asks for; a token missing one breaks a feature silently. */
export const REQUIRED_SLACK_SCOPES = ['app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'chat:write', 'commands', 'reactions:read', 'users:read'];

/**
 * `restyle doctor`: when Slack is configured, the bot token works (`auth.test`) and carries every scope the
 * manifest asks for — an app installed before a scope was added keeps its old token until it is reinstalled.
 */
export const slackCheck: DoctorCheck = async (ctx) => {
  const { slack } = ctx.settings;
  const results: CheckResult[] = [];
  // Half a set-up: Slack will not start, as `restyle bot` warns (the same words).
  const missing = slackMissing(ctx.settings);
  if (missing) results.push({ status: 'fail', name: 'slack', detail: `${missing}: Slack will not start` });
  if (!slack.botToken) return results;
  // Bolt is loaded only when Slack is configured, so `restyle doctor` stays quick without it.
  const { webApi } = await import('@slack/bolt');
  // The check reports what failed in its own ✗ line: the SDK's own warnings would only interleave with it.
  const client = new webApi.WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 1 }, timeout: 10_000, logLevel: webApi.LogLevel.ERROR });
  try {
    const auth = await client.auth.test();
    results.push({ status: 'ok', name: 'slack', detail: `token works: bot ${auth.user ?? auth.user_id} in workspace ${auth.team ?? auth.team_id}` });
    const granted = auth.response_metadata?.scopes;
    if (granted) {
      const missing = REQUIRED_SLACK_SCOPES.filter((s) => !granted.includes(s));
      results.push(
        missing.length === 0
          ? { status: 'ok', name: 'slack scopes', detail: `all ${REQUIRED_SLACK_SCOPES.length} scopes granted` }
          : { status: 'warn', name: 'slack scopes', detail: `missing ${missing.join(', ')}: add them (or re-create the app from adapters/slack/manifest.yaml) and reinstall the app` },
      );
    }
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    const detail =
      code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked' || code === 'account_inactive'
        ? `SLACK_BOT_TOKEN was rejected (${code}): copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & Permissions page`
        : `auth.test failed at ${slack.apiUrl}: ${code ?? (error instanceof Error ? error.message : String(error))}`;
    results.push({ status: 'fail', name: 'slack', detail });
  }
  return results;
};
