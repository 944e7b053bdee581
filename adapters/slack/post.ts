import type { OutgoingMessage, PostedMessage } from '../../src/bot/platform.js';
import { RestyleError, toRestyleError } from '../../src/errors.js';
import type { SlackActions } from './actions.js';
import { slackPlace, slackUserId } from './convert.js';
import { slackHint } from './errors.js';

/** Public and private channels, group and direct messages: C…, G…, D… */
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
/** A message ts: seconds, a dot, a sequence (`1700000000.000100`). */
const TS = /^\d{1,12}\.\d{1,8}$/;

/** Slack errors about our token or the app's install: the operator's to fix, not the caller's. */
const CREDENTIALS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'org_login_required',
  'ekm_access_denied',
  'team_access_not_granted',
  'two_factor_setup_required',
  'access_denied',
]);
/** Slack errors that mean "not now". */
const TRANSIENT = new Set(['ratelimited', 'rate_limited', 'fatal_error', 'internal_error', 'service_unavailable', 'request_timeout']);

/** The Slack channel id of a post, once its channel and thread are well-formed (`RunningPlatform.checkPost`). */
export function checkSlackPost(message: Pick<OutgoingMessage, 'channel' | 'thread'>): { channel: string } {
  const channel = slackUserId(message.channel) ?? '';
  if (!CHANNEL_ID.test(channel)) {
    throw new RestyleError('input_invalid', `channel: "${message.channel}" is not a Slack channel; use slack:<channel id>, e.g. slack:C0123ABC (channel details → About → Channel ID)`, {
      details: { field: 'channel' },
    });
  }
  if (message.thread !== undefined && !TS.test(message.thread)) {
    throw new RestyleError('input_invalid', `thread: "${message.thread}" is not a Slack message ts; use the ts of the thread's parent message, e.g. 1700000000.000100`, {
      details: { field: 'thread' },
    });
  }
  return { channel };
}

/**
 * `RunningPlatform.post` for Slack: `chat.postMessage` (with `thread_ts` for `thread`) through the app's
 * Web API client, split within Slack's limits by SlackActions. Resolves once Slack answered `ok`.
 */
export function slackPoster(actions: SlackActions): (message: OutgoingMessage) => Promise<PostedMessage> {
  return async (message) => {
    const { channel } = checkSlackPost(message);
    let ids: string[];
    try {
      ids = await actions.post(slackPlace(channel), message.text, { ...(message.thread ? { thread: message.thread } : {}), ...(message.origin ? { origin: message.origin } : {}), ...(message.job ? { job: message.job } : {}) });
    } catch (error) {
      throw postError(error);
    }
    if (ids.length === 0) throw new RestyleError('platform_error', 'Slack chat.postMessage answered ok without a message ts');
    return { id: ids[0]!, ids };
  };
}

/** A failed chat.postMessage, classified for the API caller with Slack's own error code in the message. */
function postError(error: unknown): RestyleError {
  const e = toRestyleError(error);
  const code = typeof e.details.slackError === 'string' ? e.details.slackError : undefined;
  if (code === undefined) {
    // No Slack answer at all: the network, an HTTP 5xx, a timeout.
    return new RestyleError('platform_unavailable', `Slack did not take the post: ${e.message}`, { cause: error, retryable: true });
  }
  const hint = slackHint(code);
  const said = `${code}${hint ? ` (${hint})` : ''}`;
  if (TRANSIENT.has(code)) return new RestyleError('platform_unavailable', `Slack chat.postMessage failed: ${said}; try again later`, { cause: error, retryable: true, details: { platformError: code } });
  if (CREDENTIALS.has(code)) return new RestyleError('platform_error', `Slack chat.postMessage failed: ${said}`, { cause: error, details: { platformError: code } });
  return new RestyleError('platform_refused', `Slack refused the post: ${said}`, { cause: error, details: { platformError: code } });
}
