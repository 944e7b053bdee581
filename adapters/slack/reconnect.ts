import type { Logger } from '../../src/log.js';
import { slackError } from './errors.js';

/** While the Slack API is unreachable at start: try again after 1 s, doubling to every 30 s. */
const RECONNECT_MS = { first: 1_000, max: 30_000 };

/** The Slack connection as start-up left it: up, or retrying in the background. */
export interface SlackConnection {
  /** True once `connect` has succeeded. */
  readonly up: boolean;
  /** Stop retrying (shutdown). */
  stop(): void;
}

/**
 * Run `connect` once. A refused token (or scope) is the operator's to fix: it fails start-up. A network or
 * 5xx failure is Slack's: start-up goes on (the HTTP API serves, /readyz reports Slack as down) and `connect`
 * is retried in the background until it answers.
 */
export async function connectOrRetry(connect: () => Promise<void>, logger: Logger): Promise<SlackConnection> {
  let stopped = false;
  let up = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const retry = (delayMs: number): void => {
    timer = setTimeout(() => {
      if (stopped) return;
      connect().then(
        () => {
          up = true;
          logger.info('slack: the Slack API answers again; Slack is up');
        },
        (error: unknown) => {
          logger.warn({ err: slackError(error, 'auth.test').message }, `slack: still unreachable; retrying in ${Math.round(Math.min(delayMs * 2, RECONNECT_MS.max) / 1000)} s`);
          retry(Math.min(delayMs * 2, RECONNECT_MS.max));
        },
      );
    }, delayMs);
    timer.unref();
  };
  try {
    await connect();
    up = true;
  } catch (error) {
    const e = slackError(error, 'auth.test');
    if (!e.retryable) throw e;
    logger.warn({ err: e.message }, 'slack: the Slack API is unreachable; serving without Slack (readyz: down) and retrying');
    retry(RECONNECT_MS.first);
  }
  return {
    get up() {
      return up;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
