import * as z from 'zod';
import { parseCommand } from '../../src/bot/command.js';
import type { JobQueue } from '../../src/queue/types.js';
import { toRestyleError } from '../../src/errors.js';
import { decodeSlack } from '../../src/restyle/slack-text.js';
import { PLATFORM, slackPlace } from './convert.js';
import type { SlackDeps } from './deps.js';
import { replyOnce, tellCannotTake } from './job-replies.js';

/** `/restyle map|unmap|forget`: the subcommands that change something. */
export const COMMAND_JOB = 'slack.command';
/** The "Save as style sample" message shortcut. */
export const SAVE_SHORTCUT_JOB = 'slack.save-shortcut';

/** Subcommands with an effect; the rest (previews, lists, help) only show something and stay inline. */
const CHANGES = new Set(['map', 'unmap', 'forget']);
/** The shortcut's callback id (./interactivity.ts SHORTCUT_SAVE). */
const SAVE_CALLBACK = 'save_sample';

const commandPayload = z.object({ user: z.string().min(1), channel: z.string().min(1), text: z.string(), command: z.string(), responseUrl: z.string().optional() });
type CommandPayload = z.infer<typeof commandPayload>;

const shortcutPayload = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().min(1),
  text: z.string(),
  author: z.string().optional(),
  thread: z.string().optional(),
  fromBot: z.boolean(),
  responseUrl: z.string().optional(),
});
type ShortcutPayload = z.infer<typeof shortcutPayload>;

/** The job for `/restyle map|unmap|forget`, or null for any other request. One command is one trigger_id. */
export function commandJobFor(body: unknown): { id: string; payload: CommandPayload } | null {
  const b = body as Record<string, unknown> | null;
  if (typeof b?.command !== 'string' || typeof b.user_id !== 'string' || typeof b.channel_id !== 'string' || typeof b.trigger_id !== 'string') return null;
  const text = typeof b.text === 'string' ? b.text : '';
  if (!CHANGES.has(parseCommand(decodeSlack(text)).kind)) return null;
  const payload: CommandPayload = { user: b.user_id, channel: b.channel_id, text, command: b.command, ...(typeof b.response_url === 'string' ? { responseUrl: b.response_url } : {}) };
  return { id: `${COMMAND_JOB}:${b.trigger_id}`, payload };
}

/** The job for the "Save as style sample" shortcut, or null for any other request. */
export function saveShortcutJobFor(body: unknown): { id: string; payload: ShortcutPayload } | null {
  const b = body as { type?: unknown; callback_id?: unknown; trigger_id?: unknown; response_url?: unknown; user?: { id?: unknown }; channel?: { id?: unknown }; message?: Record<string, unknown> } | null;
  if (b?.type !== 'message_action' || b.callback_id !== SAVE_CALLBACK || typeof b.trigger_id !== 'string') return null;
  const m = b.message;
  if (typeof b.user?.id !== 'string' || typeof b.channel?.id !== 'string' || typeof m?.ts !== 'string') return null;
  const payload: ShortcutPayload = {
    user: b.user.id,
    channel: b.channel.id,
    ts: m.ts,
    text: typeof m.text === 'string' ? m.text : '',
    ...(typeof m.user === 'string' ? { author: m.user } : {}),
    ...(typeof m.thread_ts === 'string' ? { thread: m.thread_ts } : {}),
    fromBot: typeof m.bot_id === 'string',
    ...(typeof b.response_url === 'string' ? { responseUrl: b.response_url } : {}),
  };
  return { id: `${SAVE_SHORTCUT_JOB}:${b.trigger_id}`, payload };
}

/**
 * Record before acknowledging. A command the queue cannot take is answered in the ack itself (a slash
 * command's ack may carry an ephemeral message); a shortcut, with an ephemeral message.
 */
export function commandIntake(queue: JobQueue, deps: Pick<SlackDeps, 'client' | 'logger'>): (body: unknown) => Promise<unknown> {
  return async (body) => {
    const command = commandJobFor(body);
    if (command) {
      try {
        await queue.enqueue({ kind: COMMAND_JOB, ...command });
        return undefined;
      } catch (error) {
        deps.logger.warn({ err: toRestyleError(error).message, channel: command.payload.channel }, 'slack: could not queue a command; telling the user');
        return { response_type: 'ephemeral', text: `I can't take \`${command.payload.command} ${command.payload.text}\` right now (my work queue is unavailable), so nothing was changed. Please try again in a minute.` };
      }
    }
    const save = saveShortcutJobFor(body);
    if (!save) return undefined;
    try {
      await queue.enqueue({ kind: SAVE_SHORTCUT_JOB, ...save });
    } catch (error) {
      deps.logger.warn({ err: toRestyleError(error).message, channel: save.payload.channel }, 'slack: could not queue a save; telling the user');
      await tellCannotTake(deps, { channel: save.payload.channel, user: save.payload.user }, "I can't take your save right now (my work queue is unavailable), so nothing was saved. Please try again in a minute.");
    }
    return undefined;
  };
}

/** The worker side: the command or save done, its reply saved and shown once (./job-replies.ts). */
export function commandJobs(queue: JobQueue, deps: SlackDeps): void {
  queue.handle<CommandPayload>(COMMAND_JOB, {
    parse: (payload) => commandPayload.parse(payload),
    async run(p, job) {
      await replyOnce(job, deps, { channel: p.channel, user: p.user, ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}) }, async () => {
        const actor = await deps.directory.actor(p.user);
        return deps.bot.command({ actor, place: slackPlace(p.channel), text: decodeSlack(p.text), command: p.command });
      });
    },
  });
  queue.handle<ShortcutPayload>(SAVE_SHORTCUT_JOB, {
    parse: (payload) => shortcutPayload.parse(payload),
    async run(p, job) {
      await replyOnce(job, deps, { channel: p.channel, user: p.user, ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}) }, async () => {
        const actor = await deps.directory.actor(p.user);
        const message = { place: slackPlace(p.channel, p.thread), messageId: p.ts, text: decodeSlack(p.text), ...(p.author ? { author: `${PLATFORM}:${p.author}` } : {}), fromBot: p.fromBot };
        return deps.bot.saveMessage({ actor, message });
      });
    },
  });
}
