import type { webApi } from '@slack/bolt';
import type { Bot } from '../../src/bot/bot.js';
import type { Logger } from '../../src/log.js';
import type { JobQueue } from '../../src/queue/types.js';
import type { SlackDirectory } from './directory.js';
import type { Shower } from './show.js';

/** What the Slack listeners share. */
export interface SlackDeps {
  bot: Bot;
  client: webApi.WebClient;
  shower: Shower;
  directory: SlackDirectory;
  logger: Logger;
  /**
   * The durable queue: with one, what the listeners would do is recorded inside ack() and done by jobs
   * (./*-job.ts), and a listener follows a press's job to keep the presser informed.
   */
  queue?: JobQueue;
  /** Aborted when the adapter stops: listeners still following a job let go. */
  stopping?: AbortSignal;
}

/** Run a listener body; anything it throws is logged, never left to Bolt's default handler (which prints stacks). */
export async function safely(deps: Pick<SlackDeps, 'logger'>, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    deps.logger.error({ err: (error as Error).message }, `slack: ${what} failed`);
  }
}
