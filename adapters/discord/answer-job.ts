import { Routes, type APIMessage, type Message } from 'discord.js';
import * as z from 'zod';
import type { HistoryEntry } from '../../src/bot/answer.js';
import { gaveUpText, note } from '../../src/bot/replies.js';
import { toRestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import { memberActor } from './actor.js';
import { discordPlace, stripMention } from './convert.js';
import type { DiscordDeps } from './deps.js';
import { directOnce } from './direct-once.js';
import { discordError } from './errors.js';
import { answerHistory } from './history.js';
import { actorPayload, placePayload } from './job-payload.js';

export const ANSWER_JOB = 'discord.answer';

const answerPayload = z.object({
  actor: actorPayload,
  place: placePayload,
  /** The asked message and the channel (or thread, or DM) it is in. */
  message: z.string().min(1),
  channel: z.string().min(1),
  /** Its text, the bot's mention removed. */
  text: z.string(),
  botId: z.string().min(1),
  /** In a thread or a reply: the job reads the conversation before answering. */
  context: z.boolean(),
});
type AnswerPayload = z.infer<typeof answerPayload>;

/** What a job needs: the running client (REST, and its cache when this process holds the gateway). */
export type DiscordJobDeps = Pick<DiscordDeps, 'bot' | 'client' | 'settings' | 'logger' | 'acks'>;

/** The job for a mention or DM: the same message is the same job (a replayed MESSAGE_CREATE adds nothing). */
export function answerJobFor(message: Message, botId: string): { id: string; payload: AnswerPayload } {
  const direct = message.channel.isDMBased();
  const payload: AnswerPayload = {
    actor: memberActor(message.author, message.member),
    place: discordPlace(message.channel, direct ? message.id : undefined),
    message: message.id,
    channel: message.channel.id,
    text: stripMention(message.content, botId),
    botId,
    context: message.channel.isThread() || Boolean(message.reference?.messageId),
  };
  return { id: `${ANSWER_JOB}:${message.channel.id}:${message.id}`, payload };
}

/**
 * Record before answering: the mention is in the queue before anything else happens. When the queue
 * cannot be written the asker is told so privately (Discord has no ephemeral message outside
 * interactions), instead of an answer that would never come.
 */
export async function answerIntake(queue: JobQueue, deps: Pick<DiscordDeps, 'shower' | 'logger'>, message: Message, botId: string): Promise<void> {
  const job = answerJobFor(message, botId);
  try {
    await queue.enqueue({ kind: ANSWER_JOB, ...job });
  } catch (error) {
    deps.logger.warn({ err: toRestyleError(error).message, channel: job.payload.channel }, 'discord: could not queue a mention; telling the asker');
    await deps.shower.direct(message.author.id, note("I can't take this request right now (my work queue is unavailable), so I won't answer it. Please ask again in a minute."));
  }
}

/** The worker side: answer, style, post once (the message ids are recorded before the job is done). */
export function answerJobs(queue: JobQueue, deps: DiscordJobDeps): void {
  queue.handle<AnswerPayload>(ANSWER_JOB, {
    parse: (payload) => answerPayload.parse(payload),
    async run(p, job) {
      if (job.state.posted || job.state.shown) return;
      if (job.attempt > 1) {
        // Run again without recorded ids: a crash may have come between Discord's answer and the record.
        // The nonce covers the minutes Discord remembers it; this look-up covers any time after.
        const found = await earlierAnswer(deps, p);
        if (found.length > 0) {
          await job.save({ posted: found });
          return;
        }
      }
      const history = p.context ? await conversation(deps, p) : [];
      const input = { actor: p.actor, place: p.place, messageId: p.message, text: p.text, history };
      const reply = await deps.bot.answerOnce(input, { record: (ids) => job.save({ posted: ids }), job: job.id });
      if (!reply) return;
      // A note (no answer source reply, rate limited…): told once.
      await directOnce(deps.client.rest, deps.logger, p.actor.id, reply, job.id);
      await job.save({ shown: true });
    },
    // The asker would otherwise wait for an answer that never comes: told by DM, as the other notes.
    async gaveUp(p, job, reason) {
      await directOnce(deps.client.rest, deps.logger, p.actor.id, note(gaveUpText('my answer to your message', reason)), `${job.id}:gave-up`);
    },
  });
}

/** The bot's replies to the asked message (its answer's first part references it), oldest first. */
async function earlierAnswer(deps: DiscordJobDeps, p: AnswerPayload): Promise<string[]> {
  try {
    const after = (await deps.client.rest.get(Routes.channelMessages(p.channel), { query: new URLSearchParams({ after: p.message, limit: '100' }) })) as APIMessage[];
    return after
      .filter((m) => m.author.id === p.botId && m.message_reference?.message_id === p.message)
      .map((m) => m.id)
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  } catch (error) {
    // Unreadable: answer (the nonce still covers a recent post); better a rare duplicate than a lost answer.
    deps.logger.warn({ err: discordError(error, 'reading the channel').message, channel: p.channel }, 'discord: could not look for an earlier answer of this job; answering');
    return [];
  }
}

/** The thread or reply chain before the asked message, through the client (its cache, else REST). */
async function conversation(deps: DiscordJobDeps, p: AnswerPayload): Promise<HistoryEntry[]> {
  try {
    const channel = deps.client.channels.cache.get(p.channel) ?? (await deps.client.channels.fetch(p.channel, { allowUnknownGuild: true }));
    if (!channel?.isTextBased()) return [];
    const message = await channel.messages.fetch(p.message);
    return await answerHistory(message, p.botId, deps.logger);
  } catch (error) {
    deps.logger.warn({ err: discordError(error, 'reading the conversation').message }, 'discord: answering without history');
    return [];
  }
}
