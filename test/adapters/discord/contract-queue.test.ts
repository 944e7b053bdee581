/**
 * The whole use-case contract on Discord with a durable queue, on both engines: every mention, interaction
 * (commands, context menus, buttons, the Edit modal), reaction (⭐, 👍/👎 and their removal) and deleted
 * message is recorded first and done by a job, and must behave exactly as inline.
 */
import { runUseCaseContract } from '../../bot/contract.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';
import { discordHarnessFactory, startDiscordHarness } from './harness.js';

for (const kind of ['sqlite', 'redis'] as const satisfies readonly QueueKind[]) {
  runUseCaseContract(`discord, jobs on the ${kind} queue`, {
    ...discordHarnessFactory,
    start: async (setup) => startDiscordHarness({ ...setup, queue: await openTestQueue(kind, { backoffMs: 50, maxBackoffMs: 500, attempts: 5 }) }),
  });
}
