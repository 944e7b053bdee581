import type { Namespace, Store } from '../store/types.js';
import { sha256 } from '../util/hash.js';
import type { Place } from './types.js';

/** What the bot posted and from what: lets 👍/👎 on a reply find the neutral text it was styled from. */
export interface ReplyOrigin {
  /** Platform-qualified channel key. */
  channel: string;
  /** Every message the reply was split into. */
  messageIds: string[];
  style: string | null;
  model: string | null;
  neutral: string;
  styled: string;
  /** sha256 of the neutral text (what platform metadata carries). */
  hash: string;
  at: string;
}

/** Origins are kept 90 days; feedback on older replies is ignored. */
export const ORIGIN_TTL_MS = 90 * 24 * 3600 * 1000;

/** The store's `replies` namespace: `<channel>:<messageId>` → origin of that bot message. */
export class ReplyOrigins {
  private readonly ns: Namespace<ReplyOrigin>;

  constructor(store: Store) {
    this.ns = store.ns<ReplyOrigin>('replies');
  }

  static hash(neutral: string): string {
    return sha256(neutral).slice(0, 16);
  }

  async record(
    place: Pick<Place, 'key'>,
    messageIds: readonly string[],
    origin: { style: string | null; model: string | null; neutral: string; styled: string },
    at: Date = new Date(),
  ): Promise<ReplyOrigin> {
    const record: ReplyOrigin = {
      channel: place.key,
      messageIds: [...messageIds],
      style: origin.style,
      model: origin.model,
      neutral: origin.neutral,
      styled: origin.styled,
      hash: ReplyOrigins.hash(origin.neutral),
      at: at.toISOString(),
    };
    for (const id of messageIds) await this.ns.set(`${place.key}:${id}`, record, ORIGIN_TTL_MS);
    return record;
  }

  find(place: Pick<Place, 'key'>, messageId: string): Promise<ReplyOrigin | undefined> {
    return this.ns.get(`${place.key}:${messageId}`);
  }

  async forget(place: Pick<Place, 'key'>, messageId: string): Promise<boolean> {
    return this.ns.delete(`${place.key}:${messageId}`);
  }
}
