/**
 * Drives the real Discord adapter (a discord.js Client logged in to the fake Discord: REST + gateway):
 * the Discord side of the use-case contract, and the base of the Discord tests. Interactions and events
 * are pushed through the fake gateway; what the bot did is read back from the fake's REST records.
 */
import { Events, type Client } from 'discord.js';
import { expect, vi } from 'vitest';
import { parseCommand, type BotCommand } from '../../../src/bot/command.js';
import { startDiscord, type RunningDiscord } from '../../../adapters/discord/app.js';
import { createDiscordClient } from '../../../adapters/discord/client.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import type { JobQueue } from '../../../src/queue/types.js';
import { sha256 } from '../../../src/util/hash.js';
import type { Ephemeral, Harness, HarnessFactory, HarnessSetup, PostedMessage } from '../../bot/contract.js';
import { PERMISSIONS, startFakeDiscord, type FakeChannel, type FakeDiscord, type FakeInteraction, type FakeMessage, type Json } from '../../fakes/discord.js';
import { tmpDir } from '../../support/tmp.js';

/** Interaction, component and option types (Discord's numbers). */
export const T = { command: 2, component: 3, autocomplete: 4, modal: 5, chatInput: 1, messageMenu: 3, subcommand: 1, string: 3, button: 2 } as const;

/** Stable snowflakes for logical names, known before anything starts (the contract writes them in the config). */
export function idFor(kind: 'user' | 'channel' | 'guild' | 'role', name: string): string {
  return (BigInt(`0x${sha256(`${kind}:${name}`).slice(0, 13)}`) + 100_000_000_000_000_000n).toString();
}
export const userKey = (name: string): string => `discord:${idFor('user', name)}`;
export const channelKey = (name: string): string => `discord:${idFor('channel', name)}`;

/** Neutral reaction names (the config defaults) → what Discord sends. */
const EMOJI: Record<string, string> = { star: '⭐', '+1': '👍', '-1': '👎', tada: '🎉', white_check_mark: '✅' };
export const emojiFor = (name: string): { id: string | null; name: string } => {
  const custom = /^(\w+):(\d+)$/.exec(name);
  return custom ? { id: custom[2]!, name: custom[1]! } : { id: null, name: EMOJI[name] ?? name };
};

export interface DiscordHarnessOptions extends Partial<HarnessSetup> {
  /** Use this store instead of a fresh SQLite file (e.g. a Redis store the test stops). */
  store?: Store;
  /** Reuse a running fake Discord. */
  fake?: FakeDiscord;
  logger?: Logger;
  /** Extra environment (DISCORD_CLIENT_ID…). */
  extraEnv?: Record<string, string>;
  /** Role names the config refers to; created in the guild with these ids (`idFor('role', name)`). */
  roles?: Record<string, bigint>;
  /** Give each user these roles (by role name). */
  memberRoles?: Record<string, string[]>;
  /** Record work before acknowledging it and do it as jobs on this durable queue (closed by `close`). */
  queue?: JobQueue;
  /** Start taking jobs at once (default); false leaves that to the test (`queue.start()`). */
  startQueue?: boolean;
}

export interface DiscordHarness extends Harness {
  readonly fake: FakeDiscord;
  readonly running: RunningDiscord;
  readonly client: Client;
  readonly ctx: AppContext;
  readonly guildId: string;
  user(name: string): string;
  channel(name: string): Promise<FakeChannel>;
  /** `/restyle <sub> [options]` as Discord sends it. */
  slash(sub: string, options: Record<string, string>, user: string, channel: string): Promise<FakeInteraction>;
  /** What this interaction's user was shown, in order. */
  shownFor(interaction: FakeInteraction): Ephemeral[];
  /** Push a gateway event and wait until the adapter handled it. */
  push(t: string, d: Json): Promise<void>;
}

export async function startDiscordHarness(options: DiscordHarnessOptions = {}): Promise<DiscordHarness> {
  const fake = options.fake ?? (await startFakeDiscord());
  const guild = fake.addGuild({ name: 'Acme', id: idFor('guild', 'acme') });
  const users = new Map<string, string>();
  const channels = new Map<string, FakeChannel>();
  const roleIds = new Map<string, string>();
  for (const [name, permissions] of Object.entries(options.roles ?? {})) roleIds.set(name, fake.addRole(guild.id, { name, permissions, id: idFor('role', name) }).id);
  const adminRole = fake.addRole(guild.id, { name: 'server admins', permissions: PERMISSIONS.ManageGuild });

  const user = (name: string): string => {
    const existing = users.get(name);
    if (existing) return existing;
    const id = fake.addUser(name, { id: idFor('user', name) }).id;
    const roles = (options.memberRoles?.[name] ?? []).map((r) => roleIds.get(r) ?? r);
    if ((options.platformAdmins ?? []).includes(name)) roles.push(adminRole.id);
    fake.addMember(guild.id, id, roles);
    users.set(name, id);
    return id;
  };
  const channel = async (name: string): Promise<FakeChannel> => {
    const existing = channels.get(name);
    if (existing) return existing;
    const c = await fake.addChannel(guild.id, { name, id: idFor('channel', name) });
    channels.set(name, c);
    return c;
  };
  // Known before login, so they arrive in GUILD_CREATE.
  for (const name of ['general', 'random']) await channel(name);
  for (const name of [...(options.platformAdmins ?? []), ...Object.keys(options.memberRoles ?? {})]) user(name);

  const settings = settingsFrom(options.config ?? {}, { ...options.env, DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url, ...options.extraEnv });
  const dir = options.store ? undefined : tmpDir('discord');
  const store = options.store ?? (await openStore({ redisUrl: undefined, dataDir: dir!, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 }));
  const ctx = await createContext(settings, { store, logger: options.logger ?? silentLogger(), ...(options.queue ? { queue: options.queue } : {}) });
  const client = createDiscordClient(settings, { rest: { retries: 0 } });

  // Every dispatch the client has read, so `settle` knows nothing is still on the wire.
  let received = 0;
  const waiters: Array<() => void> = [];
  client.on(Events.Raw, (packet: { s?: number | null }) => {
    if (typeof packet.s === 'number') received = Math.max(received, packet.s);
    for (const w of waiters.splice(0)) w();
  });
  const sent = (): number => fake.sessions().reduce((n, s) => Math.max(n, s.seq), 0);
  const caughtUp = (): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (received >= sent()) resolve();
        else waiters.push(check);
      };
      check();
    });

  const running = await startDiscord({ ctx, client });
  if (options.queue && options.startQueue !== false) await options.queue.start();

  const queue = options.queue;
  const drained = async (): Promise<void> => {
    // A queue the test closed (to see what an unwritable queue does) has nothing to wait for.
    if (queue) await vi.waitFor(async () => expect((await queue.stats().catch(() => undefined))?.depth ?? 0).toBe(0), { timeout: 30_000, interval: 10 });
  };
  const settle = async (): Promise<void> => {
    // Handling an event may cause more (the bot's own posts come back as MESSAGE_CREATE; a job runs later): until quiet.
    for (;;) {
      await caughtUp();
      await running.idle();
      await drained();
      await running.idle();
      if (received >= sent()) return;
    }
  };
  const push = async (t: string, d: Json): Promise<void> => {
    await fake.dispatch(t, d);
  };
  const messageChannel = (id: string): FakeChannel => {
    const m = fake.message(id);
    if (!m) throw new Error(`harness: no message ${id}`);
    return fake.channel(m.channel_id)!;
  };
  const threadFrom = async (parent: string, channelName: string): Promise<FakeChannel> => {
    const base = await channel(channelName);
    return fake.addThread(base.id, { name: 'thread', fromMessageId: parent });
  };
  const byButton = (action: string, id: string): FakeMessage | undefined =>
    fake
      .allMessages()
      .filter((m) => m.customIds.has(`restyle:${action}:${id}`))
      .sort((a, b) => b.seq - a.seq)[0];

  const slash = async (sub: string, opts: Record<string, string>, who: string, where: string): Promise<FakeInteraction> => {
    const c = await channel(where);
    return fake.interact({
      type: T.command,
      user: user(who),
      channel: c.id,
      data: {
        id: idFor('channel', 'cmd-restyle'),
        name: 'restyle',
        type: T.chatInput,
        options: [{ type: T.subcommand, name: sub, options: Object.entries(opts).map(([name, value]) => ({ type: T.string, name, value })) }],
      },
    });
  };

  const shown = (filter: (e: { interactionId?: string; to: string }) => boolean): Ephemeral[] => {
    const list: Array<Ephemeral & { seq: number; interactionId?: string }> = [];
    for (const e of fake.events) {
      const i = fake.interaction(e.interactionId)!;
      const to = `discord:${e.userId}`;
      const onMessage = i.type === T.component || i.type === T.modal;
      if (e.kind === 'callback' && e.type === 4) list.push({ seq: e.seq, interactionId: i.id, to, ...describe(e.body.data), replaced: false });
      else if (e.kind === 'callback' && e.type === 7) list.push({ seq: e.seq, interactionId: i.id, to, ...describe(e.body.data), replaced: true });
      else if (e.kind === 'edit-original') list.push({ seq: e.seq, interactionId: i.id, to, ...describe(e.body), replaced: onMessage && i.ackType === 6 });
      else if (e.kind === 'followup') list.push({ seq: e.seq, interactionId: i.id, to, ...describe(e.body), replaced: false });
    }
    // Direct messages: what reactions and mentions told people privately.
    for (const m of fake.allMessages()) {
      const c = fake.channel(m.channel_id);
      if (c?.type !== 1 || m.author.id !== fake.bot.id || m.deleted) continue;
      list.push({ seq: m.seq, to: `discord:${c.recipients![0]!.id}`, ...describe(m), replaced: false });
    }
    return list
      .filter(filter)
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq: _s, interactionId: _i, ...e }) => e);
  };

  const harness: DiscordHarness = {
    fake,
    running,
    client,
    ctx,
    guildId: guild.id,
    user,
    channel,
    slash,
    push,
    shownFor: (i) => shown((e) => e.interactionId === i.id),

    async command(text, who, where) {
      const [sub, opts] = toSlash(parseCommand(text));
      await slash(sub, opts, who, where);
    },

    async press(action, id, who, where) {
      const message = byButton(action, id);
      const c = message ? fake.channel(message.channel_id)! : await channel(where);
      await fake.interact({ type: T.component, user: user(who), channel: c.id, data: { custom_id: `restyle:${action}:${id}`, component_type: T.button }, ...(message ? { message } : {}) });
    },

    async submitEdit(id, text, who, where) {
      const opened = [...fake.events].reverse().find((e) => e.kind === 'callback' && e.type === 9 && e.body.data.custom_id === `restyle_edit:${id}`);
      const from = opened ? fake.interaction(opened.interactionId) : undefined;
      const label = opened?.body.data.components[0];
      const input = label?.component ?? label?.components?.[0];
      const c = from ? fake.channel(from.channelId)! : await channel(where);
      await fake.interact({
        type: T.modal,
        user: user(who),
        channel: c.id,
        data: { custom_id: `restyle_edit:${id}`, components: [{ type: 18, id: 1, component: { type: 4, id: 2, custom_id: input?.custom_id ?? 'text', value: text } }] },
        ...(from?.original ? { message: from.original } : {}),
      });
    },

    async seedMessage(text, author, where, o = {}) {
      const target = o.thread ? await threadFrom(o.thread, where) : await channel(where);
      return fake.addMessage({ channel: target.id, author: user(author), content: text }).id;
    },

    async react(messageId, emoji, who) {
      const c = messageChannel(messageId);
      await push('MESSAGE_REACTION_ADD', { user_id: user(who), channel_id: c.id, message_id: messageId, guild_id: guild.id, member: fake.memberPayload(guild.id, user(who)), emoji: emojiFor(emoji), burst: false, burst_colors: [], type: 0, message_author_id: fake.message(messageId)?.author.id });
    },

    async unreact(messageId, emoji, who) {
      const c = messageChannel(messageId);
      await push('MESSAGE_REACTION_REMOVE', { user_id: user(who), channel_id: c.id, message_id: messageId, guild_id: guild.id, emoji: emojiFor(emoji), burst: false, type: 0 });
    },

    async deleteMessage(messageId) {
      const c = messageChannel(messageId);
      fake.deleteMessage(messageId);
      await push('MESSAGE_DELETE', { id: messageId, channel_id: c.id, guild_id: guild.id });
    },

    async shortcut(kind, messageId, who) {
      const m = fake.message(messageId)!;
      await fake.interact({
        type: T.command,
        user: user(who),
        channel: m.channel_id,
        data: { id: idFor('channel', `cmd-${kind}`), name: kind === 'restyle' ? 'Restyle message' : 'Save as style sample', type: T.messageMenu, target_id: messageId, resolved: { messages: { [messageId]: fake.messagePayload(m) } } },
      });
    },

    async mention(text, who, where, o = {}) {
      const target = o.thread ? await threadFrom(o.thread, where) : await channel(where);
      const m = fake.addMessage({ channel: target.id, author: user(who), content: `<@${fake.bot.id}> ${text}` });
      await push('MESSAGE_CREATE', fake.messagePayload(m));
      return m.id;
    },

    settle,

    posts(channelKeyFilter) {
      return fake
        .posted()
        .filter((m) => fake.channel(m.channel_id)?.type !== 1)
        .map((m): PostedMessage => {
          const c = fake.channel(m.channel_id)!;
          const isThread = c.type === 11 || c.type === 12;
          const credit = /Posted by <@(\d+)>/.exec(m.content)?.[1];
          const thread = isThread ? c.id : m.message_reference?.message_id;
          return { id: m.id, channel: `discord:${isThread ? c.parent_id : c.id}`, text: m.content, ...(thread ? { thread } : {}), ...(credit ? { credit: `discord:${credit}` } : {}) };
        })
        .filter((p) => channelKeyFilter === undefined || p.channel === channelKeyFilter);
    },

    ephemerals: (to) => shown((e) => to === undefined || e.to === to),

    editors: () =>
      fake.events
        .filter((e) => e.kind === 'callback' && e.type === 9)
        .map((e) => {
          const label = e.body.data.components[0];
          const input = label?.component ?? label?.components?.[0];
          return { id: String(e.body.data.custom_id).replace(/^restyle_edit:/, ''), text: String(input?.value ?? '') };
        }),

    async close() {
      await options.queue?.close(0);
      await running.stop();
      await ctx.close();
      if (!options.store) await store.close();
      if (!options.fake) await fake.close();
    },
  };
  return harness;
}

/** The neutral command as `/restyle <subcommand>` options. */
function toSlash(command: BotCommand): [string, Record<string, string>] {
  switch (command.kind) {
    case 'restyle':
      return ['text', { text: command.text, ...(command.style ? { style: command.style } : {}) }];
    case 'map':
      return ['map', { style: command.style }];
    default:
      return [command.kind, {}];
  }
}

/** What a person sees in a message body: its content, and its buttons as `{action, id}`. */
function describe(body: Json): Omit<Ephemeral, 'to' | 'replaced'> {
  const buttons: Array<{ action: string; id: string }> = [];
  for (const row of (body?.components ?? []) as Json[]) {
    for (const c of (row.components ?? []) as Json[]) {
      const m = /^restyle:(\w+):(.+)$/.exec(String(c.custom_id ?? ''));
      if (m) buttons.push({ action: m[1]!, id: m[2]! });
    }
  }
  return { text: typeof body?.content === 'string' ? body.content : '', buttons };
}

/** The Discord side of the use-case contract. */
export const discordHarnessFactory: HarnessFactory = {
  platform: 'discord',
  userKey,
  channelKey,
  start: (setup) => startDiscordHarness(setup),
};
