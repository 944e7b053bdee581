/**
 * The Discord bot of discord.bench.ts's deferral figures in a process of its own, as `restyle bot` runs
 * it: its store (SQLite), the Discord adapter on a discord.js client, and — per argv — no queue (`inline`),
 * the SQLite outbox on the store's connection (`sqlite`, what `restyle bot` opens) or BullMQ on Redis. The
 * fake Discord and the fake model stay in the bench's process, as Discord and the model are other machines:
 * they do not share this event loop. Driven over IPC: it says `{ready}` once logged in; `{report}` → when
 * each interaction's INTERACTION_CREATE was read (ms since the epoch); `{close}` ends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events } from 'discord.js';
import { startDiscord } from '../adapters/discord/app.js';
import { createDiscordClient } from '../adapters/discord/client.js';
import { createContext } from '../src/app.js';
import { settingsFrom } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { openBullQueue } from '../src/queue/bullmq.js';
import { openOutboxQueue } from '../src/queue/outbox.js';
import { openStore } from '../src/store/index.js';

export type Engine = 'inline' | 'sqlite' | 'redis';
export interface RigArgs {
  engine: Engine;
  discordUrl: string;
  token: string;
  modelUrl: string;
  channel: string;
  modelMs: number;
  redisUrl?: string;
}
export type RigMessage = { report: true } | { close: true };
export type RigReply = { ready: true } | { arrived: Array<[string, number]> } | { closed: true };

const args = JSON.parse(process.argv[2]!) as RigArgs;
const dir = mkdtempSync(join(tmpdir(), 'restyle-bench-discord-rig-'));
const settings = settingsFrom(
  {
    styles: { house: { model: 'house-1' } },
    channels: { [`discord:${args.channel}`]: 'house' },
    llm: { concurrency: 256 },
    restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: args.modelMs + 5_000, deadlineMs: args.modelMs + 10_000 },
    // One user sends every interaction: each gets a real preview (the model call), not a rate-limit note.
    rateLimits: { restyle: { points: 0 } },
  },
  { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: args.modelUrl, DISCORD_BOT_TOKEN: args.token, DISCORD_API_URL: args.discordUrl },
);
const path = join(dir, 'restyle.sqlite');
const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: path, connectTimeoutMs: 1000 });
const queue =
  args.engine === 'sqlite'
    ? await openOutboxQueue({ path, connection: store.sqliteQuery! })
    : args.engine === 'redis'
      ? await openBullQueue({ url: args.redisUrl!, prefix: `bench-${process.pid}-${Date.now()}` })
      : undefined;
const ctx = await createContext(settings, { store, logger: silentLogger(), registry: 'off', ...(queue ? { queue } : {}) });
const client = createDiscordClient(settings, {});
const arrived: Array<[string, number]> = [];
client.on(Events.Raw, (p: { t?: string; d?: { id?: string } }) => {
  if (p.t === 'INTERACTION_CREATE' && p.d?.id) arrived.push([p.d.id, Date.now()]);
});
const running = await startDiscord({ ctx, client });
// Every job at once, as the inline path runs every interaction at once.
await queue?.start({ concurrency: 256 });

const send = (m: RigReply): void => void process.send!(m);
process.on('message', (m: RigMessage) => {
  if ('report' in m) {
    send({ arrived });
    return;
  }
  void (async () => {
    await queue?.close(0);
    await running.stop();
    await ctx.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    send({ closed: true });
    process.exit(0);
  })();
});
send({ ready: true });
