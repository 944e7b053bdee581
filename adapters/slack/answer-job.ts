import * as z from 'zod';
import type { JobQueue } from '../../src/queue/types.js';
import { toRestyleError } from '../../src/errors.js';
import { gaveUpText } from '../../src/bot/replies.js';
import { escapeSlack } from '../../src/restyle/slack-text.js';
import { slackActor, slackPlace, stripMention } from './convert.js';
import type { SlackDeps } from './deps.js';
import { threadHistory } from './history.js';
import { findJobPosts } from './job-posts.js';
import { slackError } from './errors.js';

export const ANSWER_JOB = 'slack.answer';

const answerPayload = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string(),
  ts: z.string().min(1),
  thread_ts: z.string().min(1).optional(),
  isDirect: z.boolean(),
  botUserId: z.string().optional(),
  botId: z.string().optional(),
  /** A DM that carried files: their names (escaped), for the note that they were not read. */
  files: z.array(z.string()).optional(),
});
type AnswerPayload = z.infer<typeof answerPayload>;

/** The job for a Slack request that asks for an answer (a mention, a DM), or null for anything else. */
export function answerJobFor(body: unknown): { id: string; payload: AnswerPayload } | null {
  const b = body as { type?: unknown; event?: Record<string, unknown>; authorizations?: Array<{ user_id?: unknown }> } | null;
  const e = b?.type === 'event_callback' ? b.event : undefined;
  if (!e || e.bot_id || typeof e.user !== 'string' || typeof e.text !== 'string' || typeof e.channel !== 'string' || typeof e.ts !== 'string') return null;
  // DMs only as `message`: channel messages that mention the bot arrive as app_mention too.
  // A DM that carries a file is answered from its text (the job then says the file was not read).
  const isDirect = e.type === 'message' && e.channel_type === 'im' && (!e.subtype || e.subtype === 'file_share') && e.text.trim() !== '';
  if (e.type !== 'app_mention' && !isDirect) return null;
  const files = e.subtype === 'file_share' ? fileNames(e.files) : undefined;
  const botUserId = b?.authorizations?.[0]?.user_id;
  const payload: AnswerPayload = {
    user: e.user,
    channel: e.channel,
    text: e.text,
    ts: e.ts,
    ...(typeof e.thread_ts === 'string' && e.thread_ts ? { thread_ts: e.thread_ts } : {}),
    isDirect,
    ...(typeof botUserId === 'string' ? { botUserId } : {}),
    ...(files ? { files } : {}),
  };
  // The same message is the same job: Slack's retries and every replica's copy add nothing.
  return { id: `${ANSWER_JOB}:${e.channel}:${e.ts}`, payload };
}

/**
 * Record before acknowledging: runs inside Bolt's ack(), so a mention is in the queue before Slack hears
 * 200. When the queue cannot be written the asker is told so (ephemeral), instead of an answer that would
 * never come.
 */
export function answerIntake(queue: JobQueue, deps: Pick<SlackDeps, 'client' | 'logger'>): (body: unknown) => Promise<void> {
  return async (body) => {
    const job = answerJobFor(body);
    if (!job) return;
    try {
      await queue.enqueue({ kind: ANSWER_JOB, ...job });
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message, channel: job.payload.channel }, 'slack: could not queue a mention; telling the asker');
      const text = "I can't take this request right now (my work queue is unavailable), so I won't answer it. Please ask again in a minute.";
      await deps.client.chat
        .postEphemeral({ channel: job.payload.channel, user: job.payload.user, text, ...(job.payload.thread_ts ? { thread_ts: job.payload.thread_ts } : {}) })
        .catch((e: unknown) => deps.logger.warn({ err: (e as Error).message }, 'slack: could not tell the asker either'));
    }
  };
}

/** The worker side: answer, style, post once (the ts is recorded before the job is done). */
export function answerJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<AnswerPayload>(ANSWER_JOB, {
    parse: (payload) => answerPayload.parse(payload),
    async run(p, job) {
      if (job.state.posted) return;
      const streamed = deps.bot.ctx.settings.bot.answer.stream;
      // A streamed answer records each message as it begins: a rerun writes the answer into them again.
      let resume = Array.isArray(job.state.streamed) ? job.state.streamed.filter((id): id is string => typeof id === 'string') : [];
      if (job.attempt > 1 && resume.length === 0) {
        // Run again without a recorded ts: a crash may have come between Slack's `ok` and the record.
        const thread = p.thread_ts ?? (p.isDirect ? undefined : p.ts);
        // A stream cut off between chat.startStream and recording its ts is untagged (tags go on at the stop):
        // in the thread the mention itself opened, every bot message is this job's, so those count too.
        const own = streamed && !p.thread_ts && !p.isDirect && p.botUserId ? { untaggedBy: p.botUserId } : {};
        resume = await findJobPosts(deps.client, deps.logger, { channel: p.channel, ...(thread ? { thread } : {}), job: job.id, since: job.createdAt, ...own });
      }
      if (resume.length > 0 && !streamed) {
        // Posted whole (or begun streamed, and streaming has since been turned off): that answer stands.
        await job.save({ posted: resume });
        return;
      }
      const place = { ...slackPlace(p.channel, p.thread_ts), isDirect: p.isDirect };
      const history = p.thread_ts ? await threadHistory(deps.client, deps.logger, { channel: p.channel, threadTs: p.thread_ts, beforeTs: p.ts, ...(p.botUserId ? { botUserId: p.botUserId } : {}) }) : [];
      const input = { actor: slackActor(p.user), place, messageId: p.ts, text: stripMention(p.text, p.botUserId), history };
      const delivery = { record: (ids: string[]) => job.save({ posted: ids }), job: job.id, started: (ids: string[]) => job.save({ streamed: ids }), ...(resume.length ? { resume } : {}) };
      const reply = await deps.bot.answerOnce(input, delivery);
      await deps.shower.show(reply, { channel: p.channel, user: p.user, ...(p.thread_ts ? { thread: p.thread_ts } : {}) });
      if (p.files) {
        // Answered from the text only: say so, rather than seem to have read the file.
        // Slack's refusal as a RestyleError: a channel the bot has left fails the job once, not over and over.
        await deps.client.chat
          .postEphemeral({ channel: p.channel, user: p.user, text: `I answered your text only: I don't read attached files${p.files.length ? ` (${p.files.join(', ')} not read)` : ''}.` })
          .catch((error: unknown) => Promise.reject(slackError(error, 'chat.postEphemeral')));
      }
    },
    // The asker would otherwise wait for an answer that never comes.
    async gaveUp(p, _job, reason) {
      const text = escapeSlack(gaveUpText('my answer to this', reason));
      await deps.client.chat.postEphemeral({ channel: p.channel, user: p.user, text, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}) });
    },
  });
}

/** File names are the sender's text: escaped, so a name like <!channel> stays inert. */
function fileNames(files: unknown): string[] {
  if (!Array.isArray(files)) return [];
  return files
    .map((f: { name?: unknown; title?: unknown }) => (typeof f?.name === 'string' ? f.name : typeof f?.title === 'string' ? f.title : ''))
    .filter((n) => n !== '')
    .map(escapeSlack);
}
