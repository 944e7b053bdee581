/**
 * The Slack API unreachable when the bot starts: the HTTP API must serve at once with Slack reported down in
 * /readyz, and the bot must keep trying until Slack answers (then be ready, and handle commands). A refused
 * token still fails start-up clearly.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandRequest, startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from './harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

async function fakes(): Promise<{ fake: FakeSlack; model: FakeOpenAI }> {
  const fake = await startFakeSlack();
  const model = await startFakeOpenAI();
  cleanups.push(() => fake.close(), () => model.close());
  return { fake, model };
}

const readyz = async (h: SlackHarness): Promise<{ status: number; body: { ready: boolean; checks: Record<string, boolean> } }> => {
  const res = await fetch(h.eventsUrl.replace(/\/slack\/events$/, '/readyz'));
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean> } };
};

describe('Slack API unreachable at start', () => {
  it('serves at once with Slack down in /readyz, keeps retrying, and is ready once Slack answers', async () => {
    const { fake, model } = await fakes();
    // The first two auth.test calls lose their connection, as when the API is unreachable.
    fake.failNext('auth.test', { drop: true }, 2);
    const h = await startSlackHarness({ fake, config: { styles: { loud: { model: 'loud-1' } } }, env: { OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: model.url } });
    cleanups.push(() => h.close());
    h.http.addReadiness('slack', () => h.running.ready()); // as app/main.ts does
    expect(h.running.ready()).toBe(false);
    const down = await readyz(h);
    expect(down).toMatchObject({ status: 503, body: { ready: false, checks: { slack: false } } });

    await vi.waitFor(() => expect(h.running.ready()).toBe(true), { timeout: 15_000, interval: 50 });
    expect((await readyz(h)).status).toBe(200);
    expect(fake.callsTo('auth.test').length).toBeGreaterThanOrEqual(3);
    const res = await h.send(commandRequest({ text: 'loud --help', user: userId('ana'), channel: channelId('general'), responseUrl: fake.responseUrl() }));
    expect(res.status).toBe(200);
  });

  it('a refused token still fails start-up with the next step', async () => {
    const { fake } = await fakes();
    fake.failNext('auth.test', { error: 'invalid_auth' });
    await expect(startSlackHarness({ fake })).rejects.toMatchObject({ code: 'permission_denied', message: expect.stringMatching(/^Slack auth\.test failed/) });
  });
});
