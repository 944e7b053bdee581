import type { App } from '@slack/bolt';
import { decodeSlack, escapeSlack } from '../../src/restyle/slack-text.js';
import { slackActor, slackPlace, stripMention } from './convert.js';
import { safely, type SlackDeps } from './deps.js';
import { threadHistory } from './history.js';
import { reactionReply } from './reaction-job.js';

interface MessageEventLike {
  type: 'message';
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  deleted_ts?: string;
  files?: Array<{ name?: string; title?: string }>;
}

/** Why a message event gets no answer (logged at debug level), or null when it is a DM to answer. */
function ignoredBecause(m: MessageEventLike): string | null {
  if (m.channel_type !== 'im') return 'not a direct message (channel messages that mention the bot arrive as app_mention)';
  if (m.bot_id) return 'sent by a bot';
  if (m.subtype && m.subtype !== 'file_share') return `subtype ${m.subtype}`;
  if (!m.user || typeof m.channel !== 'string') return 'no user or channel';
  if (typeof m.text !== 'string' || m.text.trim() === '') return m.subtype === 'file_share' ? 'a file without text (files are not read)' : 'no text';
  return null;
}

interface ReactionEventLike {
  user: string;
  reaction: string;
  item_user?: string;
  item: { type: string; channel?: string; ts?: string };
}

/** A reaction to a message with everything the handlers read (the request check only vouches for `event.type`). */
function isReaction(r: Partial<ReactionEventLike>): r is ReactionEventLike & { item: { channel: string; ts: string } } {
  return (
    typeof r.user === 'string' &&
    typeof r.reaction === 'string' &&
    typeof r.item === 'object' &&
    r.item !== null &&
    r.item.type === 'message' &&
    typeof r.item.channel === 'string' &&
    r.item.channel !== '' &&
    typeof r.item.ts === 'string' &&
    r.item.ts !== ''
  );
}

/**
 * Mentions and DMs (answered through the answer source, styled, replied in the thread), reactions (⭐
 * saves, 👍/👎 feedback, removal retracts) and deleted messages (their samples go too).
 */
export function registerEvents(app: App, deps: SlackDeps): void {
  const { bot, client, shower, logger } = deps;

  const answer = async (e: { user: string; channel: string; text: string; ts: string; thread_ts?: string }, ids: { botUserId?: string; botId?: string }, isDirect: boolean) => {
    const place = { ...slackPlace(e.channel, e.thread_ts), isDirect };
    const history = e.thread_ts ? await threadHistory(client, logger, { channel: e.channel, threadTs: e.thread_ts, beforeTs: e.ts, ...ids }) : [];
    const reply = await bot.answer({ actor: slackActor(e.user), place, messageId: e.ts, text: decodeSlack(stripMention(e.text, ids.botUserId)), history });
    await shower.show(reply, { channel: e.channel, user: e.user, ...(e.thread_ts ? { thread: e.thread_ts } : {}) });
  };

  app.event('app_mention', async ({ event, context }) => {
    // Other bots mentioning us could loop forever.
    if (deps.queue || event.bot_id || !event.user || typeof event.text !== 'string' || typeof event.channel !== 'string') return;
    await safely(deps, 'app_mention', () =>
      answer({ user: event.user!, channel: event.channel, text: event.text, ts: event.ts, thread_ts: event.thread_ts }, { botUserId: context.botUserId, botId: context.botId }, false),
    );
  });

  app.event('message', async ({ event, context }) => {
    const m = event as unknown as MessageEventLike;
    if (m.subtype === 'message_deleted' && typeof m.deleted_ts === 'string' && typeof m.channel === 'string') {
      // With a queue it was recorded before the ack and is done by the slack.message-deleted job (./deleted-job.ts).
      if (deps.queue) return;
      await safely(deps, 'message_deleted', async () => {
        await bot.messageDeleted({ place: slackPlace(m.channel), messageId: m.deleted_ts! });
      });
      return;
    }
    const ignored = ignoredBecause(m);
    if (ignored) {
      logger.debug({ channel: m.channel, ts: m.ts, subtype: m.subtype, reason: ignored }, 'slack: message ignored');
      if (m.subtype === 'file_share' && m.channel_type === 'im' && m.user && !m.bot_id) {
        await safely(deps, 'file without text', async () => {
          await client.chat.postEphemeral({ channel: m.channel, user: m.user!, text: "I don't read attached files: send your question as text." });
        });
      }
      return;
    }
    // With a queue the DM was recorded before the ack and is answered by the slack.answer job (./answer-job.ts).
    if (deps.queue) return;
    await safely(deps, 'direct message', async () => {
      await answer({ user: m.user!, channel: m.channel, text: m.text!, ts: m.ts, thread_ts: m.thread_ts }, { botUserId: context.botUserId, botId: context.botId }, true);
      // A DM that carries a file is answered from its text; say so, rather than seem to have read the file.
      // File names are the sender's text: escaped, so a name like <!channel> stays inert.
      const files = (m.files ?? []).map((f) => f.name ?? f.title).filter((n): n is string => Boolean(n)).map(escapeSlack);
      if (m.subtype === 'file_share') {
        await client.chat.postEphemeral({ channel: m.channel, user: m.user!, text: `I answered your text only: I don't read attached files${files.length ? ` (${files.join(', ')} not read)` : ''}.` });
      }
    });
  });

  app.event('reaction_added', async ({ event }) => {
    const r = event as unknown as Partial<ReactionEventLike>;
    if (!isReaction(r) || !bot.wantsReaction(r.reaction)) return;
    // With a queue, the reaction was recorded before the ack and is done by the slack.reaction job (./reaction-job.ts).
    if (deps.queue) return;
    await safely(deps, 'reaction_added', async () => {
      const reply = await reactionReply(deps, { added: true, user: r.user, reaction: r.reaction, channel: r.item.channel, ts: r.item.ts, ...(r.item_user ? { item_user: r.item_user } : {}) });
      await shower.show(reply, { channel: r.item.channel, user: r.user });
    });
  });

  app.event('reaction_removed', async ({ event }) => {
    const r = event as unknown as Partial<ReactionEventLike>;
    if (!isReaction(r) || !bot.wantsReaction(r.reaction)) return;
    if (deps.queue) return;
    await safely(deps, 'reaction_removed', async () => {
      const reply = await reactionReply(deps, { added: false, user: r.user, reaction: r.reaction, channel: r.item.channel, ts: r.item.ts });
      await shower.show(reply, { channel: r.item.channel, user: r.user });
    });
  });
}
