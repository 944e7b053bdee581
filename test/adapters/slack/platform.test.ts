import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PLATFORMS } from '../../../adapters/platforms.js';
import { COMMAND, SHORTCUT_RESTYLE, SHORTCUT_SAVE } from '../../../adapters/slack/interactivity.js';
import { settingsFrom } from '../../../src/config/load.js';

const root = resolve(import.meta.dirname, '../../..');

describe('Slack platform entry', () => {
  const slack = PLATFORMS.find((p) => p.name === 'slack')!;

  it('is enabled by a bot token plus a signing secret or an app token', () => {
    const on = (env: Record<string, string>) => slack.enabled(settingsFrom({}, env));
    expect(on({})).toBe(false);
    expect(on({ SLACK_BOT_TOKEN: 'xoxb-1' })).toBe(false);
    expect(on({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' })).toBe(true);
    expect(on({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' })).toBe(true);
    expect(slack.enableHint).toMatch(/SLACK_BOT_TOKEN/);
  });

  it('does not load Bolt until the platform is loaded', async () => {
    const script = `
      const { createRequire } = await import('node:module');
      const require = createRequire(process.cwd() + '/');
      const { PLATFORMS } = await import('./adapters/platforms.ts');
      const bolt = () => Object.keys(require.cache).some((k) => k.includes('@slack/bolt'));
      const before = bolt();
      await PLATFORMS.find((p) => p.name === 'slack').load();
      console.log(JSON.stringify({ before, after: bolt() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    expect(JSON.parse(stdout)).toEqual({ before: false, after: true });
  });

  it('has a manifest that declares what the app listens to', () => {
    const m = parse(readFileSync(resolve(root, 'adapters/slack/manifest.yaml'), 'utf8'));
    expect(m.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([COMMAND]);
    expect(m.features.shortcuts.map((s: { callback_id: string }) => s.callback_id).sort()).toEqual([SHORTCUT_RESTYLE, SHORTCUT_SAVE].sort());
    expect(m.settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(['app_mention', 'message.im', 'message.channels', 'reaction_added', 'reaction_removed']));
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['chat:write', 'commands', 'reactions:read', 'users:read', 'app_mentions:read']));
    expect(m.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
  });
});
