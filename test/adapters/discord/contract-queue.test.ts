/**
 * The whole use-case contract on Discord with a durable queue, on both engines: every mention, interaction
 * (commands, context menus, buttons, the Edit modal), reaction (⭐, 👍/👎 and their removal) and deleted
 * message is recorded first and done by a job, and must behave exactly as inline. After each test, every
 * interaction that does work and every mention the contract sent is checked to have been a job that finished.
 */
import { expect } from 'vitest';
import type { JobQueue } from '../../../src/queue/types.js';
import { runUseCaseContract } from '../../bot/contract.js';
import { openTestQueue, type QueueKind } from '../../support/queue.js';
import { discordHarnessFactory, startDiscordHarness, T, type DiscordHarness } from './harness.js';

/** The job ids the contract's requests must have become (autocomplete and Edit opening its modal answer at once). */
function expectedJobs(h: DiscordHarness): string[] {
  const interactions = new Set(h.fake.events.map((e) => e.interactionId));
  const ids = [...interactions]
    .map((id) => h.fake.interaction(id)!)
    .filter((i) => i.type !== T.autocomplete && !(i.type === T.component && String(i.payload.data?.custom_id).startsWith('restyle:edit:')))
    .map((i) => `discord.interaction:${i.id}`);
  const mentions = h.fake.allMessages().filter((m) => m.author.id !== h.fake.bot.id && m.content.includes(`<@${h.fake.bot.id}>`));
  return [...ids, ...mentions.map((m) => `discord.answer:${m.channel_id}:${m.id}`)];
}

async function expectAllDone(h: DiscordHarness, queue: JobQueue): Promise<void> {
  const outcomes = await Promise.all(expectedJobs(h).map(async (id) => [id, (await queue.outcome(id)).status] as const));
  expect(outcomes.filter(([, status]) => status !== 'done')).toEqual([]);
}

for (const kind of ['sqlite', 'redis'] as const satisfies readonly QueueKind[]) {
  runUseCaseContract(`discord, jobs on the ${kind} queue`, {
    ...discordHarnessFactory,
    start: async (setup) => {
      const queue = await openTestQueue(kind, { backoffMs: 50, maxBackoffMs: 500, attempts: 5 });
      const h = await startDiscordHarness({ ...setup, queue });
      const close = h.close.bind(h);
      h.close = async () => {
        try {
          await expectAllDone(h, queue);
        } finally {
          await close();
        }
      };
      return h;
    },
  });
}
