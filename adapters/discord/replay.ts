import type { Logger } from '../../src/log.js';
import type { Store } from '../../src/store/types.js';

/** Longer than any gateway RESUME replays missed events for. */
export const REACTION_REPLAY_TTL_MS = 10 * 60 * 1000;

/**
 * Discord sends no event ids and resends events after a gateway RESUME: an identical second ⭐
 * MESSAGE_REACTION_ADD must make no second effect (it used to DM "Already saved…"). The first delivery of
 * "user U added emoji E to message M" claims that fact in the store; the opposite event gives it back, so
 * add → remove → add again is three real events. The store down: handled anyway (a rare repeat beats a loss).
 */
export async function firstDelivery(store: Store, logger: Logger, r: { messageId: string; userId: string; emoji: string; kind: 'added' | 'removed' }): Promise<boolean> {
  const base = `discord:reaction:${r.messageId}:${r.userId}:${r.emoji}`;
  try {
    if (!(await store.claim(`${base}:${r.kind}`, REACTION_REPLAY_TTL_MS))) return false;
    await store.release(`${base}:${r.kind === 'added' ? 'removed' : 'added'}`);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'discord: reaction replay check unavailable; handling the event');
  }
  return true;
}

/** Give a claimed delivery back (the work could not be queued), so the same reaction made again is handled. Best effort. */
export async function releaseDelivery(store: Store, r: { messageId: string; userId: string; emoji: string; kind: 'added' | 'removed' }): Promise<void> {
  await store.release(`discord:reaction:${r.messageId}:${r.userId}:${r.emoji}:${r.kind}`).catch(() => undefined);
}
