/**
 * Discord's jobs run by a process that does not hold the gateway (`discordJobsOnly`, for a jobs-only
 * worker role): the gateway process records mentions, interactions and reactions but runs nothing; a
 * second queue on the same SQLite file or Redis prefix, with a client that only has the token for REST,
 * does the work — answers, previews, posts once, saves samples.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { discordJobsOnly } from '../../../adapters/discord/jobs.js';
import { openBullQueue } from '../../../src/queue/bullmq.js';
import { openOutboxQueue } from '../../../src/queue/outbox.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import type { QueueKind } from '../../support/queue.js';
import { redisUrl } from '../../support/redis.js';
import { tmpDir } from '../../support/tmp.js';
import { idFor, startDiscordHarness, userKey, type DiscordHarness } from './harness.js';

const ANSWER_PROMPT = 'ANSWER-SOURCE';
let model: FakeOpenAI;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  model = await startFakeOpenAI();
  model.setResponder((body) => {
    const user = String(body.messages.at(-1).content);
    return String(body.messages[0].content) === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
  });
});
afterAll(async () => {
  await model.close();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Two handles on one queue: the same SQLite file, or the same Redis prefix. */
function sharedQueue(kind: QueueKind): () => Promise<JobQueue> {
  const policy = { backoffMs: 50, maxBackoffMs: 500, attempts: 4 };
  const dir = tmpDir('jobs-only');
  const prefix = `jo-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return () => (kind === 'sqlite' ? openOutboxQueue({ path: join(dir, 'restyle.sqlite'), policy, pollMs: 20 }) : openBullQueue({ url: redisUrl(), prefix, policy }));
}

describe.each<QueueKind>(['sqlite', 'redis'])('Discord jobs in a process without the gateway (%s)', (kind) => {
  it('answers, previews, posts once and saves what the gateway process recorded', async () => {
    const open = sharedQueue(kind);
    const gatewayQueue = await open();
    const x: DiscordHarness = await startDiscordHarness({
      config: {
        styles: { loud: { model: 'loud-1' } },
        channels: { [`discord:${idFor('channel', 'general')}`]: 'loud' },
        restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
        bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT } },
      },
      env: { OPENAI_API_KEY: 'sk-discord', OPENAI_BASE_URL: model.url },
      queue: gatewayQueue,
      // This process records and acknowledges; it never runs a job.
      startQueue: false,
    });
    closers.push(() => x.close());
    const workerQueue = await open();
    const worker = discordJobsOnly(workerQueue, x.ctx);
    closers.push(async () => {
      await workerQueue.close(0);
      await worker.close();
    });
    await workerQueue.start();

    const general = await x.channel('general');
    const asked = await x.mention('what shipped?', 'ana', 'general');
    const line = await x.seedMessage('A line worth keeping.', 'carl', 'general');
    await x.react(line, 'star', 'ana', 'general');
    const i = await x.slash('text', { text: 'Release at noon.' }, 'ana', 'general');
    await x.settle();
    expect(x.posts().filter((p) => p.thread === asked).map((p) => p.text)).toEqual(['ANSWER TO WHAT SHIPPED?']);
    expect(await new SampleRepository(x.ctx.store).list()).toMatchObject([{ messageId: line, savedBy: userKey('ana') }]);
    const preview = x.shownFor(i).at(-1)!;
    expect(preview.text).toMatch(/^RELEASE AT NOON\./);

    await x.press('post', preview.buttons.find((b) => b.action === 'post')!.id, 'ana', 'general');
    await x.settle();
    await vi.waitFor(async () => expect((await workerQueue.stats()).depth).toBe(0));
    expect(x.posts(`discord:${general.id}`).filter((p) => p.credit === userKey('ana')).map((p) => p.text)).toEqual([`RELEASE AT NOON.\n-# Posted by <@${x.user('ana')}> with /restyle (style \`loud\`)`]);
    // Every job ran in the worker: the gateway process's own queue never started.
    expect(await workerQueue.outcome(`discord.interaction:${i.id}`)).toMatchObject({ status: 'done' });
    expect(await workerQueue.outcome(`discord.answer:${general.id}:${asked}`)).toMatchObject({ status: 'done' });
  });
});
