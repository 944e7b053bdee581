/**
 * The whole use-case contract again, with every Slack event and press recorded before the ack and done by
 * durable jobs (the way `restyle bot` runs with a queue) — on SQLite and on Redis.
 */
import { runUseCaseContract } from '../../bot/contract.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';
import { slackHarnessFactory, startSlackHarness } from './harness.js';

for (const kind of ['sqlite', 'redis'] satisfies QueueKind[]) {
  runUseCaseContract(`slack, queued on ${kind}`, {
    ...slackHarnessFactory,
    start: async (setup) => startSlackHarness({ ...setup, queue: await openTestQueue(kind, { backoffMs: 100, maxBackoffMs: 1_000, attempts: 5 }) }),
  });
}
