import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { runInProcess } from '../../support/cli.js';
import { tmpDir } from '../../support/tmp.js';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake.close();
});

const TOKEN = 'xoxb-doctor-secret';
const doctor = (env: Record<string, string>) => runInProcess(['doctor'], { env: { SLACK_API_URL: fake.url, ...env }, cwd: tmpDir('slack-doctor') });

describe('restyle doctor: Slack', () => {
  it('a working token with every manifest scope is ✓, and the token is never printed', async () => {
    const r = await doctor({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'shh' });
    expect(r.stdout).toContain('✓ slack: token works: bot restyle in workspace Fake');
    expect(r.stdout).toContain('✓ slack scopes: all 8 scopes granted');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(fake.callsTo('auth.test').at(-1)?.token).toBe(TOKEN);
  });

  it('a token installed before a scope was added is a warning naming the scope; --strict fails on it', async () => {
    fake.setScopes(['chat:write', 'commands', 'app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'users:read']);
    try {
      const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_APP_TOKEN: 'xapp-1' };
      const r = await doctor(env);
      expect(r.stdout).toContain('! slack scopes: missing reactions:read: add them (or re-create the app from adapters/slack/manifest.yaml) and reinstall the app');
      expect(r.code).toBe(0);
      expect((await runInProcess(['doctor', '--strict'], { env: { SLACK_API_URL: fake.url, ...env }, cwd: tmpDir('slack-doctor') })).code).toBe(1);
    } finally {
      fake.setScopes(['app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'chat:write', 'commands', 'reactions:read', 'users:read']);
    }
  });

  it('a rejected token, or a bot token without a way to receive events, is ✗ with the next step', async () => {
    fake.failNext('auth.test', { error: 'invalid_auth' });
    const bad = await doctor({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'shh' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("✗ slack: SLACK_BOT_TOKEN was rejected (invalid_auth): copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & Permissions page");
    const half = await doctor({ SLACK_BOT_TOKEN: TOKEN });
    expect(half.code).toBe(1);
    expect(half.stdout).toContain('✗ slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP events) nor SLACK_APP_TOKEN (Socket Mode) is: Slack will not start');
    // The other half alone: no token to check, but the set-up is still named.
    const secretOnly = await runInProcess(['doctor'], { env: { SLACK_SIGNING_SECRET: 'shh' }, cwd: tmpDir('slack-doctor') });
    expect(secretOnly.code).toBe(1);
    expect(secretOnly.stdout).toContain('✗ slack: SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: Slack will not start');
  });

  it('an unreachable Slack API is ✗ naming where it was tried, without the SDK\'s own warnings beside it', async () => {
    // The Slack SDK's default logger writes to the console, around doctor's lines.
    const printed: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.join(' '))));
    try {
      const r = await runInProcess(['doctor'], { env: { SLACK_API_URL: 'http://127.0.0.1:9/api/', SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'shh' }, cwd: tmpDir('slack-doctor') });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^✗ slack: auth\.test failed at http:\/\/127\.0\.0\.1:9\/api\/: /m);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(printed.filter((line) => /web-api|http request failed/.test(line))).toEqual([]);
  });

  it('without Slack configured there is no Slack line', async () => {
    const calls = fake.callsTo('auth.test').length;
    const r = await doctor({});
    expect(r.stdout).not.toMatch(/^. slack/m);
    expect(fake.callsTo('auth.test')).toHaveLength(calls);
  });
});
