import * as z from 'zod';
import { normalizeEmoji } from '../../src/bot/bot.js';
import type { MessageRef, Reply } from '../../src/bot/types.js';
import type { JobQueue } from '../../src/queue/types.js';
import { toRestyleError } from '../../src/errors.js';
import { PLATFORM, slackActor, slackPlace } from './convert.js';
import type { SlackDeps } from './deps.js';
import { fetchMessage } from './history.js';
import { replyOnce } from './job-replies.js';

export const REACTION_JOB = 'slack.reaction';

const reactionPayload = z.object({
  added: z.boolean(),
  user: z.string().min(1),
  reaction: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().min(1),
  item_user: z.string().optional(),
});
export type ReactionPayload = z.infer<typeof reactionPayload>;

/** The bot's answer to a reaction being added or removed (null: nothing to say). */
export function reactionReply(deps: Pick<SlackDeps, 'bot' | 'client'>, r: ReactionPayload): Promise<Reply | null> {
  const { bot, client } = deps;
  const { channel, ts } = r;
  const base = { actor: slackActor(r.user), place: slackPlace(channel), messageId: ts, emoji: r.reaction };
  if (!r.added) return bot.reactionRemoved(base);
  return bot.reactionAdded({
    ...base,
    load: async (): Promise<MessageRef | null> => {
      const m = await fetchMessage(client, channel, ts);
      if (!m) return null;
      const author = m.user ?? r.item_user;
      return { place: slackPlace(channel, m.threadTs), messageId: ts, text: m.text, ...(author ? { author: `${PLATFORM}:${author}` } : {}), fromBot: Boolean(m.botId) };
    },
  });
}

/** True for the ⭐ that saves a sample (and whose removal takes it back): the reactions done by a job. */
export function isSampleReaction(deps: Pick<SlackDeps, 'bot'>, emoji: string): boolean {
  return normalizeEmoji(emoji) === deps.bot.ctx.settings.bot.reactions.sample;
}

/**
 * The job for a reaction the bot acts on (⭐ saves, 👍/👎 feedback; `wanted`) added to or removed from a
 * message, or null for any other request. 👍/👎 count only on the bot's own replies (`item_user`, when
 * Slack names it): people thumb other messages all day, and those need no job.
 */
export function reactionJobFor(body: unknown, wanted: (emoji: string) => boolean, isSample: (emoji: string) => boolean = wanted): { id: string; payload: ReactionPayload } | null {
  const b = body as { type?: unknown; event_id?: unknown; event?: Record<string, unknown>; authorizations?: Array<{ user_id?: unknown }> } | null;
  const e = b?.type === 'event_callback' ? b.event : undefined;
  if (!e || (e.type !== 'reaction_added' && e.type !== 'reaction_removed')) return null;
  const item = e.item as { type?: unknown; channel?: unknown; ts?: unknown } | undefined;
  if (typeof e.user !== 'string' || typeof e.reaction !== 'string' || item?.type !== 'message') return null;
  if (typeof item.channel !== 'string' || item.channel === '' || typeof item.ts !== 'string' || item.ts === '') return null;
  if (!wanted(e.reaction)) return null;
  const botUser = b?.authorizations?.[0]?.user_id;
  if (!isSample(e.reaction) && typeof e.item_user === 'string' && typeof botUser === 'string' && e.item_user !== botUser) return null;
  const payload: ReactionPayload = {
    added: e.type === 'reaction_added',
    user: e.user,
    reaction: e.reaction,
    channel: item.channel,
    ts: item.ts,
    ...(typeof e.item_user === 'string' ? { item_user: e.item_user } : {}),
  };
  // Slack's retries carry the same event_id: the same job. Adding, removing and adding again are three events.
  const event = typeof b?.event_id === 'string' ? b.event_id : `${item.channel}:${item.ts}:${e.user}:${e.type}:${String(e.event_ts ?? '')}`;
  return { id: `${REACTION_JOB}:${event}`, payload };
}

/**
 * Record before acknowledging (inside Bolt's ack(), like ./answer-job.ts). When the queue cannot be written
 * the reactor is told nothing was saved (or taken back), rather than a silent ack of work that never comes.
 */
export function reactionIntake(queue: JobQueue, deps: Pick<SlackDeps, 'bot' | 'client' | 'logger'>): (body: unknown) => Promise<void> {
  return async (body) => {
    const job = reactionJobFor(body, (emoji) => deps.bot.wantsReaction(emoji), (emoji) => isSampleReaction(deps, emoji));
    if (!job) return;
    try {
      await queue.enqueue({ kind: REACTION_JOB, ...job });
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message, channel: job.payload.channel }, 'slack: could not queue a reaction; telling the user');
      const what = !job.payload.added ? 'taken back' : isSampleReaction(deps, job.payload.reaction) ? 'saved' : 'recorded';
      const text = `I can't take your reaction right now (my work queue is unavailable), so nothing was ${what}. Please ${job.payload.added ? 'react' : 'remove it'} again in a minute.`;
      await deps.client.chat
        .postEphemeral({ channel: job.payload.channel, user: job.payload.user, text })
        .catch((e: unknown) => deps.logger.warn({ err: (e as Error).message }, 'slack: could not tell the user either'));
    }
  };
}

/**
 * The worker side: save, record feedback (or take either back) once — the store's claim and the sample id make a re-run find the
 * sample — and tell the user once: the reply is saved before it is shown and `shown` after, so a re-run
 * shows the same reply or nothing.
 */
export function reactionJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<ReactionPayload>(REACTION_JOB, {
    parse: (payload) => reactionPayload.parse(payload),
    async run(p, job) {
      await replyOnce(job, deps, { channel: p.channel, user: p.user }, () => reactionReply(deps, p));
    },
  });
}
