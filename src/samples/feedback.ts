import type { Namespace, Store } from '../store/types.js';
import type { Feedback } from './types.js';

/**
 * 👍/👎 on restyled replies, over `store.ns('feedback')`, kept for evaluation. One verdict per user and
 * message: reacting again replaces it.
 */
export class FeedbackRepository {
  private readonly ns: Namespace<Feedback>;

  constructor(store: Store) {
    this.ns = store.ns<Feedback>('feedback');
  }

  /** The id one user's verdict on one message is stored under. */
  static idFor(channel: string, messageId: string, user: string): string {
    return `${channel}:${messageId}:${user}`;
  }

  async record(feedback: Feedback): Promise<Feedback> {
    await this.ns.set(feedback.id, feedback);
    return feedback;
  }

  get(id: string): Promise<Feedback | undefined> {
    return this.ns.get(id);
  }

  delete(id: string): Promise<boolean> {
    return this.ns.delete(id);
  }

  async list(filter: { style?: string; verdict?: Feedback['verdict']; user?: string } = {}): Promise<Feedback[]> {
    const out: Feedback[] = [];
    for await (const [, f] of this.ns.entries()) {
      if (filter.style !== undefined && f.style !== filter.style) continue;
      if (filter.verdict !== undefined && f.verdict !== filter.verdict) continue;
      if (filter.user !== undefined && f.user !== filter.user) continue;
      out.push(f);
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Delete every verdict the user gave; returns how many. */
  async forget(user: string): Promise<number> {
    let deleted = 0;
    for (const f of await this.list({ user })) if (await this.ns.delete(f.id)) deleted += 1;
    return deleted;
  }
}
