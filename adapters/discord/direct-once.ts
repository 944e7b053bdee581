import { Routes, type APIChannel, type REST } from 'discord.js';
import type { Reply } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { jobNonce } from './actions.js';
import { discordError } from './errors.js';
import { render } from './show.js';

/**
 * Tell a person privately, from a durable job, straight through REST (no gateway cache, so any process
 * can), true once sent: the message carries a nonce made from the job id, so a job run again after a crash between
 * Discord's answer and recording it makes no second DM. DMs closed (or any refusal) is logged and not
 * retried; Discord unreachable throws, for the queue to retry.
 */
export async function directOnce(rest: REST, logger: Logger, userId: string, reply: Reply, job: string): Promise<boolean> {
  try {
    const dm = (await rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as APIChannel;
    await rest.post(Routes.channelMessages(dm.id), { body: { ...render(reply), allowed_mentions: { parse: [] }, nonce: jobNonce(job, 0), enforce_nonce: true } });
    return true;
  } catch (error) {
    const e = discordError(error, 'direct message');
    if (e.retryable) throw e;
    logger.warn({ err: e.message, user: userId }, 'discord: could not tell the user');
    return false;
  }
}
