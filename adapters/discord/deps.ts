import type { Client } from 'discord.js';
import type { Bot } from '../../src/bot/bot.js';
import type { Settings } from '../../src/config/load.js';
import type { Logger } from '../../src/log.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { InFlight } from '../../src/util/inflight.js';
import { discordError } from './errors.js';
import type { Shower } from './show.js';

/** What the Discord listeners share. */
export interface DiscordDeps {
  bot: Bot;
  client: Client;
  settings: Settings;
  shower: Shower;
  inflight: InFlight;
  logger: Logger;
  /** With a durable queue, work is recorded before it is acknowledged and done by a job (./jobs.ts). */
  queue?: JobQueue;
  /**
   * Acknowledgements this process is sending, by job id: a job handed straight to a free slot here waits for
   * its interaction's deferral before it starts, so it neither competes with it nor edits a reply not yet
   * deferred.
   */
  acks?: Map<string, Promise<void>>;
}

/**
 * Run a listener body as tracked work; anything it throws is logged in one line, never left to
 * discord.js (an unhandled rejection in a listener becomes the client's 'error' event).
 */
export function track(deps: Pick<DiscordDeps, 'inflight' | 'logger'>, what: string, fn: () => Promise<void>): void {
  void deps.inflight.run(async () => {
    try {
      await fn();
    } catch (error) {
      deps.logger.error({ err: discordError(error, what).message }, `discord: ${what} failed`);
    }
  });
}
