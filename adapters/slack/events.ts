import type { App } from '@slack/bolt';
import type { MessageRef } from '../../src/bot/types.js';
import { PLATFORM, slackActor, slackPlace, stripMention } from './convert.js';
import { safely, type SlackDeps } from './deps.js';
import { fetchMessage, threadHistory } from './history.js';

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
    const reply = await bot.answer({ actor: slackActor(e.user), place, messageId: e.ts, text: stripMention(e.text, ids.botUserId), history });
    await shower.show(reply, { channel: e.channel, user: e.user, ...(e.thread_ts ? { thread: e.thread_ts } : {}) });
  };

  app.event('app_mention', async ({ event, context }) => {
    // Other bots mentioning us could loop forever.
    if (deps.queued || event.bot_id || !event.user || typeof event.text !== 'string' || typeof event.channel !== 'string') return;
    await safely(deps, 'app_mention', () =>
      answer({ user: event.user!, channel: event.channel, text: event.text, ts: event.ts, thread_ts: event.thread_ts }, { botUserId: context.botUserId, botId: context.botId }, false),
    );
  });

  app.event('message', async ({ event, context }) => {
    const m = event as unknown as MessageEventLike;
    if (m.subtype === 'message_deleted' && typeof m.deleted_ts === 'string' && typeof m.channel === 'string') {
      await safely(deps, 'message_deleted', async () => {
        await bot.messageDeleted({ place: slackPlace(m.channel), messageId: m.deleted_ts! });
      });
      return;
    }
    // DMs only: channel messages that mention the bot arrive as app_mention too.
    if (deps.queued || m.channel_type !== 'im' || m.subtype || m.bot_id || !m.user || typeof m.text !== 'string' || typeof m.channel !== 'string') return;
    await safely(deps, 'direct message', () =>
      answer({ user: m.user!, channel: m.channel, text: m.text!, ts: m.ts, thread_ts: m.thread_ts }, { botUserId: context.botUserId, botId: context.botId }, true),
    );
  });

  app.event('reaction_added', async ({ event }) => {
    const r = event as unknown as Partial<ReactionEventLike>;
    if (!isReaction(r) || !bot.wantsReaction(r.reaction)) return;
    const channel = r.item.channel;
    const ts = r.item.ts;
    await safely(deps, 'reaction_added', async () => {
      const reply = await bot.reactionAdded({
        actor: slackActor(r.user),
        place: slackPlace(channel),
        messageId: ts,
        emoji: r.reaction,
        load: async (): Promise<MessageRef | null> => {
          const m = await fetchMessage(client, channel, ts);
          if (!m) return null;
          const author = m.user ?? r.item_user;
          return { place: slackPlace(channel, m.threadTs), messageId: ts, text: m.text, ...(author ? { author: `${PLATFORM}:${author}` } : {}), fromBot: Boolean(m.botId) };
        },
      });
      await shower.show(reply, { channel, user: r.user });
    });
  });

  app.event('reaction_removed', async ({ event }) => {
    const r = event as unknown as Partial<ReactionEventLike>;
    if (!isReaction(r) || !bot.wantsReaction(r.reaction)) return;
    const channel = r.item.channel;
    const ts = r.item.ts;
    await safely(deps, 'reaction_removed', async () => {
      const reply = await bot.reactionRemoved({ actor: slackActor(r.user), place: slackPlace(channel), messageId: ts, emoji: r.reaction });
      await shower.show(reply, { channel, user: r.user });
    });
  });
}
