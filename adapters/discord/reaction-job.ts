import { Routes, type APIMessage } from 'discord.js';
import * as z from 'zod';
import { note } from '../../src/bot/replies.js';
import type { Actor, MessageRef, Place, Reply } from '../../src/bot/types.js';
import { toRestyleError } from '../../src/errors.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { DiscordJobDeps } from './answer-job.js';
import { PLATFORM } from './convert.js';
import type { DiscordDeps } from './deps.js';
import { directOnce } from './direct-once.js';
import { discordError } from './errors.js';
import { actorPayload, placePayload } from './job-payload.js';
import { firstDelivery, releaseDelivery } from './replay.js';

export const REACTION_JOB = 'discord.reaction';

const reactionPayload = z.object({
  added: z.boolean(),
  actor: actorPayload,
  place: placePayload,
  messageId: z.string().min(1),
  /** The configured name it matched (`star`, `+1`…). */
  emoji: z.string().min(1),
  botId: z.string().optional(),
});
type ReactionPayload = z.infer<typeof reactionPayload>;

export interface ReactionEvent {
  added: boolean;
  actor: Actor;
  place: Place;
  messageId: string;
  emoji: string;
  botId?: string;
}

/**
 * Record before handling: a ⭐ (save, take back) or 👍/👎 (feedback, withdrawn) is claimed as a first
 * delivery (Discord sends no event ids and replays events after a RESUME: ./replay.ts), then queued.
 * The claim is the replay filter, so the job id is the event plus when it was first seen: adding, removing
 * and adding again are three jobs. When the queue cannot be written the claim is given back and the person
 * told nothing was done, rather than a reaction silently dropped.
 */
export async function reactionIntake(queue: JobQueue, deps: Pick<DiscordDeps, 'bot' | 'shower' | 'logger'>, e: ReactionEvent): Promise<void> {
  const kind = e.added ? 'added' : 'removed';
  const fact = { messageId: e.messageId, userId: e.actor.id, emoji: e.emoji, kind } as const;
  if (!(await firstDelivery(deps.bot.ctx.store, deps.logger, fact))) return;
  const payload: ReactionPayload = e;
  try {
    await queue.enqueue({ kind: REACTION_JOB, id: `${REACTION_JOB}:${e.messageId}:${e.actor.id}:${e.emoji}:${kind}:${Date.now()}`, payload });
  } catch (error) {
    deps.logger.warn({ err: toRestyleError(error).message, channel: e.place.key }, 'discord: could not queue a reaction; telling the user');
    await releaseDelivery(deps.bot.ctx.store, fact);
    const text = `I can't take your reaction right now (my work queue is unavailable), so nothing was ${e.added ? 'done' : 'taken back'}. Please ${e.added ? 'react' : 'remove it'} again in a minute.`;
    await deps.shower.direct(e.actor.id, note(text));
  }
}

/**
 * The worker side: save, take back or record feedback once (the store's claims and sample ids make a
 * re-run find what the first run did) and tell the person once: the reply is saved before it is shown,
 * and the DM carries the job's nonce, so a re-run shows the same reply or nothing.
 */
export function reactionJobs(queue: JobQueue, deps: DiscordJobDeps): void {
  queue.handle<ReactionPayload>(REACTION_JOB, {
    parse: (payload) => reactionPayload.parse(payload),
    async run(p, job) {
      if (job.state.shown) return;
      // The first run's answer is kept, so a re-run tells "Saved…", not "Already saved" for its own save.
      let reply = job.state.reply as Reply | undefined;
      if (!reply) {
        const base = { actor: p.actor, place: p.place, messageId: p.messageId, emoji: p.emoji };
        const computed = p.added ? await deps.bot.reactionAdded({ ...base, load: () => loadMessage(deps, p) }) : await deps.bot.reactionRemoved(base);
        if (!computed) return;
        await job.save({ reply: computed });
        reply = computed;
      }
      await directOnce(deps.client.rest, deps.logger, p.actor.id, reply, job.id);
      await job.save({ shown: true });
    },
  });
}

/** The reacted-to message through REST (any process can); null when it is gone. */
async function loadMessage(deps: DiscordJobDeps, p: ReactionPayload): Promise<MessageRef | null> {
  try {
    const m = (await deps.client.rest.get(Routes.channelMessage(p.place.channelId, p.messageId))) as APIMessage;
    return { place: p.place, messageId: m.id, text: m.content, author: `${PLATFORM}:${m.author.id}`, fromBot: m.author.id === p.botId };
  } catch (error) {
    const e = discordError(error, 'reading the message');
    // Discord unreachable: retry the job; the message gone or unreadable: "Not saved", said once.
    if (e.retryable) throw e;
    return null;
  }
}
