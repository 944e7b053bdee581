import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serve } from '../../app/main.js';
import { createContext } from '../../src/app.js';
import { settingsFrom } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { openSqliteDb } from '../../src/queue/sqlite-db.js';
import { openTestQueue } from '../support/queue.js';
import { BIN } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';
import { DELETE_JOB } from '../../adapters/discord/delete-job.js';

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

describe('serve --only gateway / --only jobs (process roles)', () => {
  async function setup(roles: Array<'gateway' | 'jobs'>, queued?: string, healthPort?: number) {
    const guild = discord.addGuild({ name: 'Roles' });
    const channel = await discord.addChannel(guild.id, { name: 'releases' });
    const settings = settingsFrom(
      { styles: { loud: { model: 'loud-1' } }, channels: { [`discord:${channel.id}`]: 'loud' } },
      { OPENAI_API_KEY: 'sk-roles', OPENAI_BASE_URL: openai.url, DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.url },
    );
    const dir = tmpDir('roles');
    const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
    const queue = await openTestQueue('sqlite', {}, dir);
    // Recorded before the process starts, as a web process would have: a process running jobs takes it at start.
    if (queued) await queue.enqueue({ kind: 'http.post', id: 'http.post:roles-early', payload: { channel: `discord:${channel.id}`, text: queued } });
    const ctx = await createContext(settings, { store, queue, logger: silentLogger(), registry: 'off' });
    const sessionsBefore = discord.sessions().length;
    const services = await serve(ctx, { port: 0, roles, ...(healthPort !== undefined ? { healthPort } : {}) });
    return {
      dir,
      channel,
      queue,
      services,
      newSessions: () => discord.sessions().length - sessionsBefore,
      async stop() {
        await services.stop(2000);
        await queue.close(0);
        await store.close();
      },
    };
  }

  it('jobs: no port and no gateway session; a queued /v1/post to Discord is posted through REST', async () => {
    const p = await setup(['jobs']);
    try {
      expect(p.services.port).toBeUndefined();
      // As a web process records it (adapters/http/post-job.ts): the job kind and the request body.
      await p.queue.enqueue({ kind: 'http.post', id: 'http.post:roles-1', payload: { channel: `discord:${p.channel.id}`, text: 'posted by the jobs role' } });
      await vi.waitFor(() => expect(discord.posted(p.channel.id).map((m) => m.content)).toEqual(['POSTED BY THE JOBS ROLE']), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await p.queue.outcome('http.post:roles-1')).status).toBe('done'));
      expect(p.newSessions()).toBe(0);
    } finally {
      await p.stop();
    }
  });

  it('jobs with --health-port: /healthz, /readyz (the queue checked) and /metrics for probes on a port of their own, nothing else', async () => {
    const p = await setup(['jobs'], undefined, 0);
    const base = `http://127.0.0.1:${p.services.healthPort}`;
    try {
      expect(p.services.port).toBeUndefined();
      expect(p.services.healthPort).toBeGreaterThan(0);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true, checks: { store: true, queue: true } });
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/restyle_queue_depth/);
      // The API and the platforms' endpoints stay on the web process.
      const post = await fetch(`${base}/v1/post`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: `discord:${p.channel.id}`, text: 'not here' }) });
      expect(post.status).toBe(404);
      expect((await fetch(`${base}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
      // Not ready once the queue cannot be written.
      await p.queue.close(0);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
    } finally {
      await p.stop();
    }
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('jobs: runs the Discord event jobs a gateway process recorded (ChatPlatform.jobs registers every Discord kind)', async () => {
    const p = await setup(['jobs']);
    try {
      // As the gateway records a deleted message (adapters/discord/delete-job.ts); without the Discord
      // handlers in this role the job would wait forever.
      const place = { key: `discord:${p.channel.id}`, platform: 'discord', channelId: p.channel.id };
      await p.queue.enqueue({ kind: DELETE_JOB, id: `${DELETE_JOB}:${p.channel.id}:roles-2`, payload: { place, messageId: 'roles-2' } });
      await vi.waitFor(async () => expect((await p.queue.outcome(`${DELETE_JOB}:${p.channel.id}:roles-2`)).status).toBe('done'), { timeout: 10_000 });
      expect(p.newSessions()).toBe(0);
    } finally {
      await p.stop();
    }
  });

  it('gateway: the Discord session, no port, and no job is run', async () => {
    const p = await setup(['gateway'], 'not from the gateway');
    try {
      expect(p.services.port).toBeUndefined();
      // A process running jobs claims a due job as soon as its queue starts (attempts 1, leased), long before
      // its gateway session is up; here the row is untouched, waiting for a jobs process.
      await vi.waitFor(() => expect(p.newSessions()).toBe(1), { timeout: 10_000 });
      const db = await openSqliteDb(`${p.dir}/restyle.sqlite`, 1000);
      try {
        expect(await db.all("SELECT status, attempts, lease_owner FROM restyle_jobs WHERE id = 'http.post:roles-early'")).toEqual([{ status: 'waiting', attempts: 0, lease_owner: null }]);
      } finally {
        await db.close();
      }
      expect(discord.posted(p.channel.id)).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});

describe('restyle … | head', () => {
  it('a reader that went away (EPIPE) ends the command quietly, without a stack trace', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    // The reading end is closed before the command writes anything: its first write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect(code).toBe(0);
  });
});
