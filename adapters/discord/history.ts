import type { Message } from 'discord.js';
import type { HistoryEntry } from '../../src/bot/answer.js';
import type { Logger } from '../../src/log.js';
import { stripMention } from './convert.js';
import { discordError } from './errors.js';

/** How much conversation the answer source sees. */
export const HISTORY_LIMIT = 20;

/**
 * What was said before `message`, oldest first: in a thread, its starter message and the thread so far;
 * elsewhere, the chain of messages it replies to. Reading history is best effort: the answer goes ahead
 * without it when Discord refuses.
 */
export async function answerHistory(message: Message, botId: string, logger: Logger, limit = HISTORY_LIMIT): Promise<HistoryEntry[]> {
  try {
    const earlier: Message[] = [];
    const channel = message.channel;
    if (channel.isThread()) {
      const before = await channel.messages.fetch({ before: message.id, limit });
      earlier.push(...[...before.values()].reverse());
      const starter = await channel.fetchStarterMessage().catch(() => null);
      if (starter && !earlier.some((m) => m.id === starter.id)) earlier.unshift(starter);
    } else {
      let current: Message = message;
      while (current.reference?.messageId && earlier.length < limit) {
        const parent = await current.fetchReference().catch(() => null);
        if (!parent) break;
        earlier.unshift(parent);
        current = parent;
      }
    }
    return earlier
      .filter((m) => m.content.trim() !== '')
      .slice(-limit)
      .map((m): HistoryEntry => ({ role: m.author.id === botId ? 'assistant' : 'user', text: stripMention(m.content, botId) }));
  } catch (error) {
    logger.warn({ err: discordError(error, 'reading the conversation').message }, 'discord: answering without history');
    return [];
  }
}
