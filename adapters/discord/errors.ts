import { DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import { RestyleError } from '../../src/errors.js';

/** What to tell a person when Discord refuses a call, for the errors people can fix themselves. */
const HINTS: Partial<Record<number, string>> = {
  [RESTJSONErrorCodes.MissingAccess]: 'the bot cannot see this channel; give it the View Channel permission here',
  [RESTJSONErrorCodes.MissingPermissions]: 'the bot lacks a permission here (Send Messages, Send Messages in Threads, Add Reactions or Read Message History)',
  [RESTJSONErrorCodes.UnknownChannel]: 'the channel no longer exists or the bot cannot see it',
  [RESTJSONErrorCodes.UnknownMessage]: 'the message no longer exists',
  [RESTJSONErrorCodes.CannotSendMessagesToThisUser]: 'the user does not accept direct messages from this server',
  [RESTJSONErrorCodes.ThreadLocked]: 'the thread is locked',
  [RESTJSONErrorCodes.InvalidFormBodyOrContentType]: 'Discord refused the message (too long or malformed)',
  [RESTJSONErrorCodes.UnknownInteraction]: 'the interaction expired (Discord allows 3 seconds to answer it)',
  [RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged]: 'the interaction was already answered',
};

/** The fix for a Discord JSON error code people can fix themselves, if we know one. */
export function discordHint(code: number): string | undefined {
  return HINTS[code];
}

/** A REST failure as a RestyleError with a one-line message (never the token or the request body). */
export function discordError(error: unknown, what: string): RestyleError {
  if (error instanceof RestyleError) return error;
  if (error instanceof DiscordAPIError) {
    const code = typeof error.code === 'number' ? error.code : 0;
    if (error.status === 401) {
      return new RestyleError('permission_denied', `Discord ${what} failed: DISCORD_BOT_TOKEN was rejected by Discord (401)`, { cause: error, details: { status: 401 } });
    }
    const hint = HINTS[code] ?? `${error.message} (HTTP ${error.status}${code ? `, code ${code}` : ''})`;
    const kind = error.status === 429 ? 'quota_exceeded' : error.status === 403 || error.status === 404 ? 'permission_denied' : 'internal';
    return new RestyleError(kind, `Discord ${what} failed: ${hint}`, { cause: error, details: { status: error.status, discordCode: code }, retryable: error.status >= 500 || error.status === 429 });
  }
  const e = error as { message?: string; name?: string };
  const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
  return new RestyleError('internal', `Discord ${what} failed: ${timedOut ? 'Discord did not answer in time' : (e.message ?? String(error))}`, { cause: error, retryable: true });
}

/** True for the errors that mean "another process or an earlier attempt already answered this interaction". */
export function isAlreadyAnswered(error: unknown): boolean {
  return error instanceof DiscordAPIError && (error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged || error.code === RESTJSONErrorCodes.UnknownInteraction);
}
