import { DiscordAPIError, MessageFlags, RESTJSONErrorCodes, Routes } from 'discord.js';
import type { Reply } from '../../src/bot/types.js';
import { RestyleError } from '../../src/errors.js';
import type { DiscordJobDeps } from './answer-job.js';
import { directOnce } from './direct-once.js';
import { discordError } from './errors.js';
import type { InteractionPayload } from './interaction-job.js';
import { render, replaces } from './show.js';

/** Nothing the bot shows a single person pings anyone. */
const QUIET = { parse: [] } as const;

/**
 * Answer a deferred interaction from a job, through its webhook (REST, any process): a deferred reply is
 * edited into the answer (or deleted when there is none); on a deferred button the message is replaced or an
 * ephemeral follow-up sent, as `Shower` does inline. The webhook token lives 15 minutes: a job run later
 * (a long outage, a restart after a crash) tells the person by DM instead; when that is refused too, the job
 * fails once with both reasons rather than retrying a call that cannot succeed.
 */
export async function answerInteraction(deps: DiscordJobDeps, p: InteractionPayload, reply: Reply | null, job: string, options: { orByDm?: boolean } = {}): Promise<void> {
  const { rest } = deps.client;
  const { applicationId: app, token } = p.interaction;
  const original = Routes.webhookMessage(app, token, '@original');
  try {
    if (p.ack === 'reply') {
      if (!reply) await rest.delete(original, { auth: false });
      else await rest.patch(original, { body: { ...render(reply), allowed_mentions: QUIET }, auth: false });
      return;
    }
    if (!reply) return;
    if (replaces(reply)) await rest.patch(original, { body: { ...render(reply), allowed_mentions: QUIET }, auth: false });
    else await rest.post(Routes.webhook(app, token), { body: { ...render(reply), flags: MessageFlags.Ephemeral, allowed_mentions: QUIET }, auth: false });
  } catch (error) {
    if (!webhookGone(error) || options.orByDm === false) throw discordError(error, 'answering the interaction');
    if (!reply) return;
    deps.logger.info({ interaction: p.interaction.id }, 'discord: the interaction expired before its job answered; telling the user by DM');
    const delivered = await directOnce(rest, deps.logger, p.actor.id, reply, job);
    if (!delivered) {
      throw new RestyleError('platform_refused', `Discord: the interaction expired (its token lives 15 minutes) before the answer was ready, and ${p.actor.key} does not accept direct messages; the work itself was done`, { retryable: false });
    }
  }
}

/** The interaction's token expired (401 Invalid Webhook Token) or it was never acknowledged (Unknown Webhook). */
function webhookGone(error: unknown): boolean {
  return error instanceof DiscordAPIError && (error.code === RESTJSONErrorCodes.InvalidWebhookToken || error.code === RESTJSONErrorCodes.UnknownWebhook || error.code === RESTJSONErrorCodes.UnknownInteraction);
}
