import type { webApi } from '@slack/bolt';
import type { HistoryEntry } from '../../src/bot/answer.js';
import type { Logger } from '../../src/log.js';
import { decodeSlack } from '../../src/restyle/slack-text.js';
import { stripMention } from './convert.js';

/** How much of a thread the answer source sees. */
export const HISTORY_LIMIT = 20;

/**
 * The thread before message `beforeTs`, oldest first, for the answer source: the bot's own messages as
 * `assistant`, everyone else's as `user`. Best effort: an unreadable thread gives an empty history.
 */
export async function threadHistory(
  client: webApi.WebClient,
  logger: Logger,
  input: { channel: string; threadTs: string; beforeTs: string; botUserId?: string; botId?: string },
): Promise<HistoryEntry[]> {
  try {
    const res = await client.conversations.replies({ channel: input.channel, ts: input.threadTs, limit: 200 });
    const messages = (res.messages ?? []).filter((m) => m.ts !== undefined && Number(m.ts) < Number(input.beforeTs) && typeof m.text === 'string');
    return messages.slice(-HISTORY_LIMIT).map((m) => {
      const mine = (input.botId !== undefined && m.bot_id === input.botId) || (input.botUserId !== undefined && m.user === input.botUserId);
      return { role: mine ? 'assistant' : 'user', text: decodeSlack(stripMention(m.text!, input.botUserId)) };
    });
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'slack: could not read the thread; answering without history');
    return [];
  }
}

/** One message by channel and ts (top-level via history, thread replies via replies). */
export async function fetchMessage(
  client: webApi.WebClient,
  channel: string,
  ts: string,
): Promise<{ text: string; user?: string; botId?: string; threadTs?: string } | null> {
  const top = await client.conversations.history({ channel, latest: ts, oldest: ts, inclusive: true, limit: 1 });
  let m = top.messages?.find((x) => x.ts === ts);
  if (!m) {
    const thread = await client.conversations.replies({ channel, ts, latest: ts, oldest: ts, inclusive: true, limit: 1 });
    m = thread.messages?.find((x) => x.ts === ts);
  }
  if (!m) return null;
  return { text: decodeSlack(m.text ?? ''), ...(m.user ? { user: m.user } : {}), ...(m.bot_id ? { botId: m.bot_id } : {}), ...(m.thread_ts ? { threadTs: m.thread_ts } : {}) };
}
