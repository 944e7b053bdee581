import type { webApi } from '@slack/bolt';
import type { Actor } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { slackActor } from './convert.js';

const MAX_ENTRIES = 5_000;

/**
 * Slack users as neutral actors, with the workspace admin/owner flag from `users.info` (needs the
 * `users:read` scope). Cached briefly: the flag is only a cache of Slack's answer, never state.
 */
export class SlackDirectory {
  private readonly cache = new Map<string, { actor: Actor; until: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async actor(userId: string): Promise<Actor> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > this.now()) return hit.actor;
    try {
      const res = await this.client.users.info({ user: userId });
      const u = res.user;
      const actor = slackActor(userId, {
        ...(u?.real_name || u?.name ? { name: u.real_name || u.name } : {}),
        isPlatformAdmin: Boolean(u?.is_admin || u?.is_owner || u?.is_primary_owner),
      });
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(userId, { actor, until: this.now() + this.ttlMs });
      return actor;
    } catch (error) {
      // Without users.info the person is simply not a workspace admin for us; config admins still work.
      this.logger.warn({ err: (error as Error).message }, 'slack: users.info failed; treating the user as a non-admin');
      return slackActor(userId, { isPlatformAdmin: false });
    }
  }
}
