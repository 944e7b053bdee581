import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../app/main.js';
import { createContext } from '../../src/app.js';
import { settingsFrom } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';

let discord: FakeDiscord;
let openai: FakeOpenAI;
beforeAll(async () => {
  [discord, openai] = await Promise.all([startFakeDiscord(), startFakeOpenAI()]);
});
afterAll(async () => {
  await Promise.all([discord.close(), openai.close()]);
});

/** `restyle bot --only web` with Discord enabled: the Procfile's web process, the gateway left to the worker. */
async function web() {
  const guild = discord.addGuild({ name: 'Acme' });
  const channel = await discord.addChannel(guild.id, { name: 'news' });
  const settings = settingsFrom(
    { styles: { loud: { model: 'loud-1' } }, channels: { [`discord:${channel.id}`]: 'loud' } },
    { OPENAI_API_KEY: 'sk-web', OPENAI_BASE_URL: openai.url, DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.url, RESTYLE_API_TOKEN: 'api-secret' },
  );
  const dir = tmpDir('web');
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
  const ctx = await createContext(settings, { store, logger: silentLogger() });
  const services = await serve(ctx, { port: 0, roles: ['web'] });
  const post = (body: unknown) =>
    fetch(`http://127.0.0.1:${services.port}/v1/post`, { method: 'POST', headers: { authorization: 'Bearer api-secret', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    channel,
    post,
    async stop() {
      await services.stop(2000);
      await store.close();
    },
  };
}

describe('serve --only web (split processes)', () => {
  it('posts to Discord channels through REST without opening a gateway session', async () => {
    const w = await web();
    try {
      const res = await w.post({ channel: `discord:${w.channel.id}`, text: 'the release is out' });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ ok: true, styled: true, text: 'THE RELEASE IS OUT' });
      expect(discord.posted(w.channel.id).map((m) => m.content)).toEqual(['THE RELEASE IS OUT']);
      expect(discord.posted(w.channel.id)[0]!.id).toBe(body.id);
      expect(discord.sessions()).toHaveLength(0);
    } finally {
      await w.stop();
    }
  });

  it('checks a thread through REST too: a thread of the channel is accepted, the channel itself is not a thread', async () => {
    const w = await web();
    try {
      const thread = await discord.addThread(w.channel.id, { name: 'release notes' });
      const ok = await w.post({ channel: `discord:${w.channel.id}`, thread: thread.id, text: 'in the thread' });
      expect(ok.status).toBe(200);
      expect(discord.posted(thread.id).map((m) => m.content)).toEqual(['IN THE THREAD']);
      const notThread = await w.post({ channel: `discord:${w.channel.id}`, thread: w.channel.id, text: 'nope' });
      expect(notThread.status).toBe(400);
      expect((await notThread.json()).error.message).toContain('is not a thread');
    } finally {
      await w.stop();
    }
  });
});
