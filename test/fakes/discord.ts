/**
 * A fake Discord for tests and benches: one real `node:http` server on 127.0.0.1:0 serving the REST routes
 * discord.js calls (give `url` to discord.js as `rest: { api: fake.url }` / DISCORD_API_URL) and, on the
 * same port, a gateway WebSocket (`GET /gateway/bot` hands out its URL, as Discord does).
 *
 * REST: records every request; keeps guilds, channels, threads, roles, members, messages, reactions, DM
 * channels, application commands (bulk overwrite, ids kept per name like Discord) and interactions
 * (3 s to acknowledge, one acknowledgement only, then `@original` and follow-ups through the webhook
 * routes); injects latency, 429s (Discord's rate-limit headers and `retry_after` body), 5xx and dropped
 * connections; answers errors in Discord's shape (`{message, code}`) with Discord's codes.
 *
 * Gateway: HELLO (heartbeat_interval) → IDENTIFY → READY (session_id, resume_gateway_url, user,
 * application, guilds unavailable) → GUILD_CREATE per guild of the shard; heartbeats ACK'd; RESUME
 * replays what the session missed. IDENTIFY with a wrong token closes 4004, with a privileged intent the
 * application lacks 4014. `dispatch()` pushes events to the sessions of the right shard and drops those
 * the session has no intent for; without the MessageContent intent, message content is blanked the way
 * Discord does (except DMs, mentions of the bot and the bot's own messages).
 *
 * @example
 * const discord = await startFakeDiscord();
 * const guild = discord.addGuild({ name: 'Acme' });
 * const general = discord.addChannel(guild.id, { name: 'general' });
 * const client = new Client({ intents, rest: { api: discord.url } });
 * await client.login(discord.token);
 * await discord.dispatch('MESSAGE_CREATE', discord.messagePayload(discord.addMessage({ channel: general.id, author: ana.id, content: 'hi' })));
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseBody, readBody } from './http-body.js';

/** Payloads are Discord JSON; tests read them loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface DiscordRequest {
  seq: number;
  method: string;
  /** Path after `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Json;
  at: number;
  /** Status the fake answered with. */
  status?: number;
  fault?: 'fail' | 'drop';
}

export type DiscordFailure =
  | { status: 429; retryAfter?: number; global?: boolean; scope?: 'user' | 'shared' | 'global' }
  | { status: 500 | 502 | 503 | 504 }
  | { status: number; code: number; message: string }
  | { drop: true };

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export interface FakeRole {
  id: string;
  name: string;
  /** Permission bitfield as a decimal string, as Discord sends it. */
  permissions: string;
  position: number;
}

export interface FakeChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  parent_id?: string | null;
  /** DM channels. */
  recipients?: FakeUser[];
}

export interface FakeMessage {
  id: string;
  /** Ordering among requests and messages (the request that created it). */
  seq: number;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  timestamp: string;
  type: number;
  components: Json[];
  embeds: Json[];
  flags: number;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string };
  /** As sent (bot posts only). */
  allowed_mentions?: Json;
  /** `emoji` (unicode or `name:id`) → user ids. */
  reactions: Map<string, Set<string>>;
  deleted?: boolean;
  /** Set for messages posted through an interaction webhook. */
  interactionId?: string;
  /** Every button custom_id this message ever carried (buttons are removed once used). */
  customIds: Set<string>;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  userId: string;
  channelId: string;
  guildId?: string;
  createdAt: number;
  payload: Json;
  /** The first callback's type, once acknowledged. */
  ackType?: number;
  /** The response message (`@original`): for component interactions the message the component is on. */
  original?: FakeMessage;
  followups: FakeMessage[];
}

/** What the user saw from an interaction or a DM, in order: for ephemeral views in tests. */
export interface InteractionEvent {
  seq: number;
  interactionId: string;
  userId: string;
  kind: 'callback' | 'edit-original' | 'followup' | 'edit-followup' | 'delete-original';
  /** Callback type for `callback`. */
  type?: number;
  body: Json;
}

export interface Session {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  ws: WebSocket | null;
  /** Events sent, for RESUME replays. */
  sent: Array<{ s: number; t: string; d: Json }>;
  identifiedAt: number;
}

export interface FakeDiscordOptions {
  token?: string;
  /** Privileged intents the application may use (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT); default all. */
  privilegedIntents?: number;
  heartbeatIntervalMs?: number;
  /** How long an interaction may wait for its first callback (Discord: 3 s). */
  ackDeadlineMs?: number;
  /** Recommended shard count from `/gateway/bot`. */
  shards?: number;
  /** Send the bot's own channel posts back as MESSAGE_CREATE, as Discord does (default true). */
  echo?: boolean;
}

export interface FakeDiscord {
  /** REST base for discord.js `rest.api` (`http://127.0.0.1:PORT/api`). */
  readonly url: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly bot: FakeUser;
  readonly applicationId: string;
  readonly requests: DiscordRequest[];
  /** Interaction responses and edits, in order. */
  readonly events: InteractionEvent[];
  requestsTo(method: string, path: RegExp): DiscordRequest[];
  /** Resolves with the first request (already received or still to come) matching method, path and `match`. */
  waitForRequest(method: string, path: RegExp, match?: (request: DiscordRequest) => boolean): Promise<DiscordRequest>;

  /** `id`: a fixed snowflake (tests that must know ids before the fake exists); else a fresh one. */
  addUser(name: string, options?: { bot?: boolean; id?: string }): FakeUser;
  addGuild(options: { name: string; ownerId?: string; id?: string }): { id: string; everyoneRoleId: string };
  addRole(guildId: string, options: { name: string; permissions?: bigint; id?: string }): FakeRole;
  addMember(guildId: string, userId: string, roles?: string[]): void;
  /** A guild text channel (type 0); dispatches CHANNEL_CREATE to live sessions. */
  addChannel(guildId: string, options: { name: string; type?: number; id?: string }): Promise<FakeChannel>;
  /** A public thread under `parentId`, started from message `fromMessageId` (the thread takes its id, as on Discord). */
  addThread(parentId: string, options: { name: string; fromMessageId?: string }): Promise<FakeChannel>;
  /** The DM channel between the bot and `userId` (created on first use). */
  dmChannel(userId: string): FakeChannel;
  channel(id: string): FakeChannel | undefined;
  /** Store a message as if a person sent it (not dispatched). */
  addMessage(options: { channel: string; author: string; content: string; reference?: string }): FakeMessage;
  message(id: string): FakeMessage | undefined;
  /** Messages in a channel (or all), oldest first; deleted ones excluded. */
  messages(channelId?: string): FakeMessage[];
  /** Messages the bot posted to channels (not interaction responses), oldest first. */
  posted(channelId?: string): FakeMessage[];
  /** Every message, interaction responses and deleted ones included. */
  allMessages(): FakeMessage[];
  /** Mark a message deleted (dispatch MESSAGE_DELETE yourself). */
  deleteMessage(id: string): void;
  /** The gateway payload of a stored message (for MESSAGE_CREATE). */
  messagePayload(message: FakeMessage): Json;
  /** Who Discord would notify for a bot message, from its content and allowed_mentions. */
  pings(message: FakeMessage): { everyone: boolean; users: string[]; roles: string[] };
  memberPayload(guildId: string, userId: string): Json;
  /** Permissions of a member (owner and Administrator: all). */
  permissionsOf(guildId: string, userId: string): bigint;
  commands(guildId?: string): Json[];

  /** Build an interaction (id, token, member with permissions, channel), register it, and dispatch INTERACTION_CREATE. */
  interact(spec: {
    type: number;
    user: string;
    channel: string;
    data?: Json;
    /** The message a component is on / a modal was opened from. */
    message?: FakeMessage;
  }): Promise<FakeInteraction>;
  interaction(id: string): FakeInteraction | undefined;
  interactionByToken(token: string): FakeInteraction | undefined;

  sessions(): Session[];
  /** Resolves when `count` sessions have been sent READY. */
  waitForSessions(count?: number): Promise<Session[]>;
  /**
   * Push a gateway event to the sessions of its shard; resolves with how many received it. `shards`
   * delivers it to the sessions of those shards instead (an event replayed on every shard).
   */
  dispatch(t: string, d: Json, options?: { shards?: readonly number[] }): Promise<number>;
  /** Ask every live session to reconnect (op 7); their clients resume. */
  reconnectAll(): void;

  failNext(method: string, path: RegExp, failure: DiscordFailure, times?: number): void;
  setLatency(ms: number, method?: string, path?: RegExp): void;
  /** Hold REST answers on paths matching `path` (all when absent) until the returned function is called. */
  hold(path?: RegExp): () => void;
  close(): Promise<void>;
}

/** Gateway intents (bits) the fake honours. */
export const INTENTS = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  MessageContent: 1 << 15,
} as const;
const PRIVILEGED = INTENTS.GuildMembers | INTENTS.GuildPresences | INTENTS.MessageContent;

export const PERMISSIONS = {
  Administrator: 1n << 3n,
  ManageGuild: 1n << 5n,
  SendMessages: 1n << 11n,
  MentionEveryone: 1n << 17n,
} as const;
const ALL_PERMISSIONS = (1n << 50n) - 1n;

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;
/** A Discord snowflake for "now" (time in the top bits, so ids sort by creation). */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

interface Route {
  method: string;
  path: RegExp;
  auth: boolean;
  handler: (ctx: RouteCtx) => Json | Promise<Json>;
}
interface RouteCtx {
  params: string[];
  request: DiscordRequest;
  /** Answer with an error in Discord's shape. */
  error(status: number, code: number, message: string, errors?: Json): ApiError;
}
class ApiError {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {}
}
/** A route returning this answers 204 No Content. */
const NO_CONTENT = Symbol('no content');
/** How long Discord remembers an enforced nonce ("the past few minutes", discord.com/developers/docs/resources/message#create-message). */
const NONCE_WINDOW_MS = 5 * 60_000;

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? `fake.${randomBytes(12).toString('hex')}`;
  const ackDeadlineMs = options.ackDeadlineMs ?? 3000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
  const privileged = options.privilegedIntents ?? PRIVILEGED;
  const requests: DiscordRequest[] = [];
  const events: InteractionEvent[] = [];
  const users = new Map<string, FakeUser>();
  const guilds = new Map<string, { id: string; name: string; ownerId: string; roles: Map<string, FakeRole>; members: Map<string, string[]>; joinedAt: string }>();
  const channels = new Map<string, FakeChannel>();
  const messages = new Map<string, FakeMessage>();
  /** `channel:nonce` of creates sent with enforce_nonce → the message they made. */
  const nonces = new Map<string, { id: string; at: number }>();
  const interactions = new Map<string, FakeInteraction>();
  const tokens = new Map<string, string>();
  const commands = new Map<string, Json[]>(); // '' = global, else guild id
  const faults: Array<{ method: string; path: RegExp; failure: DiscordFailure }> = [];
  const latencies: Array<{ ms: number; method?: string; path?: RegExp }> = [];
  let held: { path?: RegExp; until: Promise<void> } | undefined;
  const sessions = new Map<string, Session>();
  const requestWaiters = new Set<(request: DiscordRequest) => void>();
  const readyWaiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let seq = 0;
  let closed = false;

  const applicationId = snowflake();
  const bot: FakeUser = { id: applicationId, username: 'restyle', global_name: 'restyle', discriminator: '0', avatar: null, bot: true };
  users.set(bot.id, bot);

  // ---------- state helpers ----------
  const memberPayload = (guildId: string, userId: string): Json => {
    const g = guilds.get(guildId);
    const user = users.get(userId);
    if (!g || !user || !g.members.has(userId)) return undefined;
    return { user, roles: [...(g.members.get(userId) ?? [])], joined_at: g.joinedAt, deaf: false, mute: false, flags: 0, nick: null, avatar: null, premium_since: null, pending: false };
  };
  const permissionsOf = (guildId: string, userId: string): bigint => {
    const g = guilds.get(guildId);
    if (!g) return 0n;
    if (g.ownerId === userId) return ALL_PERMISSIONS;
    let perms = BigInt(g.roles.get(guildId)?.permissions ?? '0');
    for (const r of g.members.get(userId) ?? []) perms |= BigInt(g.roles.get(r)?.permissions ?? '0');
    return perms & PERMISSIONS.Administrator ? ALL_PERMISSIONS : perms;
  };
  const channelPayload = (c: FakeChannel): Json => {
    if (c.type === 1) return { id: c.id, type: 1, recipients: c.recipients, last_message_id: null, flags: 0 };
    const base = { id: c.id, type: c.type, name: c.name, guild_id: c.guild_id, parent_id: c.parent_id ?? null, position: 0, permission_overwrites: [], nsfw: false, flags: 0, rate_limit_per_user: 0, last_message_id: null };
    if (c.type === 11 || c.type === 12) {
      return { ...base, owner_id: bot.id, message_count: 0, member_count: 1, total_message_sent: 0, thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false } };
    }
    return { ...base, topic: null };
  };
  const guildPayload = (guildId: string): Json => {
    const g = guilds.get(guildId)!;
    const all = [...channels.values()].filter((c) => c.guild_id === guildId);
    return {
      id: g.id,
      name: g.name,
      icon: null,
      owner_id: g.ownerId,
      unavailable: false,
      large: false,
      member_count: g.members.size,
      joined_at: g.joinedAt,
      features: [],
      roles: [...g.roles.values()].map((r) => ({ ...r, color: 0, hoist: false, managed: false, mentionable: false, flags: 0, icon: null, unicode_emoji: null })),
      emojis: [],
      stickers: [],
      channels: all.filter((c) => c.type !== 11 && c.type !== 12).map(channelPayload),
      threads: all.filter((c) => c.type === 11 || c.type === 12).map(channelPayload),
      members: [...g.members.keys()].map((id) => memberPayload(guildId, id)),
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      premium_tier: 0,
      preferred_locale: 'en-US',
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      system_channel_flags: 0,
    };
  };
  /** Discord nests the replied-to message one level deep (with its own message_reference, without its referenced_message). */
  const messagePayload = (m: FakeMessage, nested = false): Json => {
    const mentions = [...m.content.matchAll(/<@!?(\d+)>/g)].map((x) => users.get(x[1]!)).filter(Boolean);
    const referenced = m.message_reference && !nested ? messages.get(m.message_reference.message_id) : undefined;
    return {
      id: m.id,
      channel_id: m.channel_id,
      ...(m.guild_id ? { guild_id: m.guild_id } : {}),
      author: m.author,
      ...(m.guild_id && memberPayload(m.guild_id, m.author.id) ? { member: (({ user: _u, ...rest }) => rest)(memberPayload(m.guild_id, m.author.id)) } : {}),
      content: m.content,
      timestamp: m.timestamp,
      edited_timestamp: null,
      tts: false,
      mention_everyone: /@(everyone|here)\b/.test(m.content),
      mentions,
      mention_roles: [...m.content.matchAll(/<@&(\d+)>/g)].map((x) => x[1]),
      attachments: [],
      embeds: m.embeds,
      components: m.components,
      pinned: false,
      type: m.type,
      flags: m.flags,
      ...(m.message_reference ? { message_reference: { type: 0, ...m.message_reference } } : {}),
      ...(referenced ? { referenced_message: messagePayload(referenced, true) } : {}),
      ...(m.interactionId ? interactionMetadata(m.interactionId) : {}),
    };
  };
  const interactionMetadata = (id: string): Json => {
    const i = interactions.get(id);
    return {
      webhook_id: applicationId,
      application_id: applicationId,
      interaction_metadata: { id, type: i?.type ?? 2, user: users.get(i?.userId ?? '') ?? bot, authorizing_integration_owners: i?.payload.authorizing_integration_owners ?? {} },
    };
  };
  const storeMessage = (channelId: string, author: FakeUser, body: Json, extra: Partial<FakeMessage> = {}, at: number = ++seq): FakeMessage => {
    const channel = channels.get(channelId);
    const ref = body?.message_reference as { message_id?: string } | undefined;
    const m: FakeMessage = {
      id: snowflake(),
      seq: at,
      channel_id: channelId,
      ...(channel?.guild_id ? { guild_id: channel.guild_id } : {}),
      author,
      content: typeof body?.content === 'string' ? body.content : '',
      timestamp: new Date().toISOString(),
      type: ref?.message_id ? 19 : 0,
      components: Array.isArray(body?.components) ? body.components : [],
      embeds: Array.isArray(body?.embeds) ? body.embeds : [],
      flags: Number(body?.flags ?? 0),
      ...(ref?.message_id ? { message_reference: { message_id: ref.message_id, channel_id: channelId, ...(channel?.guild_id ? { guild_id: channel.guild_id } : {}) } } : {}),
      ...(body?.allowed_mentions !== undefined ? { allowed_mentions: body.allowed_mentions } : {}),
      reactions: new Map(),
      customIds: new Set(customIdsIn(body?.components)),
      ...extra,
    };
    messages.set(m.id, m);
    return m;
  };
  const pings = (m: FakeMessage): { everyone: boolean; users: string[]; roles: string[] } => {
    const am = m.allowed_mentions as { parse?: string[]; users?: string[]; roles?: string[] } | undefined;
    const content = m.content;
    const inUsers = [...new Set([...content.matchAll(/<@!?(\d+)>/g)].map((x) => x[1]!))];
    const inRoles = [...new Set([...content.matchAll(/<@&(\d+)>/g)].map((x) => x[1]!))];
    const mass = /@(everyone|here)\b/.test(content);
    // Discord: without allowed_mentions everything in the content pings (permissions aside).
    if (!am) return { everyone: mass, users: inUsers, roles: inRoles };
    const parse = new Set(am.parse ?? []);
    return {
      everyone: mass && parse.has('everyone'),
      users: inUsers.filter((u) => parse.has('users') || (am.users ?? []).includes(u)),
      roles: inRoles.filter((r) => parse.has('roles') || (am.roles ?? []).includes(r)),
    };
  };
  const validateMessageBody = (ctx: RouteCtx, body: Json, channelId: string, requireContent = true): void => {
    const content = body?.content;
    if (typeof content === 'string' && content.length > 2000) {
      throw ctx.error(400, 50035, 'Invalid Form Body', { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } });
    }
    const am = body?.allowed_mentions;
    if (am?.parse?.includes('users') && am.users?.length) {
      throw ctx.error(400, 50035, 'Invalid Form Body', { allowed_mentions: { _errors: [{ code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE', message: 'parse:["users"] and users: [ids] are mutually exclusive.' }] } });
    }
    const empty = !(typeof content === 'string' && content.trim() !== '') && !(body?.embeds?.length > 0) && !(body?.components?.length > 0);
    if (requireContent && empty) throw ctx.error(400, 50006, 'Cannot send an empty message');
    const ref = body?.message_reference?.message_id as string | undefined;
    if (ref) {
      const target = messages.get(ref);
      if ((!target || target.deleted || target.channel_id !== channelId) && body.message_reference.fail_if_not_exists !== false) {
        throw ctx.error(400, 50035, 'Invalid Form Body', { message_reference: { _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' }] } });
      }
    }
  };
  const liveInteraction = (ctx: RouteCtx, appId: string, tok: string): FakeInteraction => {
    const i = interactions.get(tokens.get(tok) ?? '');
    if (!i || appId !== applicationId) throw ctx.error(404, 10015, 'Unknown Webhook');
    if (Date.now() - i.createdAt > 15 * 60_000) throw ctx.error(401, 50027, 'Invalid Webhook Token');
    if (i.ackType === undefined) throw ctx.error(404, 10015, 'Unknown Webhook');
    return i;
  };
  const record = (ctx: RouteCtx, i: FakeInteraction, kind: InteractionEvent['kind'], body: Json, type?: number): void => {
    events.push({ seq: ctx.request.seq, interactionId: i.id, userId: i.userId, kind, body, ...(type !== undefined ? { type } : {}) });
  };
  const editMessage = (m: FakeMessage, body: Json): void => {
    if (typeof body?.content === 'string') m.content = body.content;
    if (Array.isArray(body?.components)) {
      m.components = body.components;
      for (const id of customIdsIn(body.components)) m.customIds.add(id);
    }
    if (Array.isArray(body?.embeds)) m.embeds = body.embeds;
    if (body?.allowed_mentions !== undefined) m.allowed_mentions = body.allowed_mentions;
  };
  const upsertCommands = (scope: string, ctx: RouteCtx, list: Json): Json[] => {
    if (!Array.isArray(list)) throw ctx.error(400, 50035, 'Invalid Form Body');
    const before = commands.get(scope) ?? [];
    const out: Json[] = [];
    for (const [index, cmd] of (list as Json[]).entries()) {
      const type = cmd.type ?? 1;
      const name = String(cmd.name ?? '');
      const nameOk = type === 1 ? /^[-_\p{Ll}\p{N}]{1,32}$/u.test(name) : name.length >= 1 && name.length <= 32;
      if (!nameOk) throw ctx.error(400, 50035, 'Invalid Form Body', { [index]: { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME', message: `Command name is invalid` }] } } });
      if (type === 1 && !(typeof cmd.description === 'string' && cmd.description.length >= 1 && cmd.description.length <= 100)) {
        throw ctx.error(400, 50035, 'Invalid Form Body', { [index]: { description: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } } });
      }
      const old = before.find((b) => b.name === name && b.type === type);
      const { id: _id, version: _v, application_id: _a, guild_id: _g, ...content } = old ?? {};
      const next = { ...defaultsForCommand(cmd), ...cmd, type };
      const same = old !== undefined && stableJson(content) === stableJson(next);
      out.push({ ...next, id: old?.id ?? snowflake(), application_id: applicationId, ...(scope ? { guild_id: scope } : {}), version: same ? old.version : snowflake() });
    }
    const names = new Set(out.map((c) => `${c.type}:${c.name}`));
    if (names.size !== out.length) throw ctx.error(400, 50035, 'Invalid Form Body', { _errors: [{ code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: 'Application command names must be unique' }] });
    commands.set(scope, out);
    return out;
  };

  // ---------- REST routes ----------
  const routes: Route[] = [
    {
      method: 'GET',
      path: /^\/gateway\/bot$/,
      auth: true,
      handler: () => ({ url: gatewayUrl, shards: options.shards ?? 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } }),
    },
    { method: 'GET', path: /^\/gateway$/, auth: false, handler: () => ({ url: gatewayUrl }) },
    { method: 'GET', path: /^\/users\/@me$/, auth: true, handler: () => ({ ...bot, verified: true, mfa_enabled: false, flags: 0 }) },
    {
      method: 'GET',
      path: /^\/users\/(\d+)$/,
      auth: true,
      handler: (ctx) => users.get(ctx.params[0]!) ?? ctx.error(404, 10013, 'Unknown User'),
    },
    {
      method: 'POST',
      path: /^\/users\/@me\/channels$/,
      auth: true,
      handler: (ctx) => {
        const id = String(ctx.request.body?.recipient_id ?? '');
        if (!users.has(id)) throw ctx.error(400, 50035, 'Invalid Form Body', { recipient_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }] } });
        return channelPayload(dmChannel(id));
      },
    },
    {
      method: 'GET',
      path: /^\/applications\/@me$/,
      auth: true,
      // Unverified apps get the "limited" flags for the privileged intents they enabled, as Discord reports them.
      handler: () => ({ id: applicationId, name: 'restyle', description: '', bot_public: false, bot_require_code_grant: false, flags: applicationFlags(privileged), owner: { id: snowflake(), username: 'owner' }, bot }),
    },
    {
      method: 'GET',
      path: /^\/applications\/(\d+)\/commands$/,
      auth: true,
      handler: (ctx) => (ctx.params[0] === applicationId ? (commands.get('') ?? []) : ctx.error(403, 50001, 'Missing Access')),
    },
    {
      method: 'PUT',
      path: /^\/applications\/(\d+)\/commands$/,
      auth: true,
      handler: (ctx) => (ctx.params[0] === applicationId ? upsertCommands('', ctx, ctx.request.body) : ctx.error(403, 50001, 'Missing Access')),
    },
    {
      method: 'GET',
      path: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      auth: true,
      handler: (ctx) => {
        if (ctx.params[0] !== applicationId || !guilds.has(ctx.params[1]!)) throw ctx.error(403, 50001, 'Missing Access');
        return commands.get(ctx.params[1]!) ?? [];
      },
    },
    {
      method: 'PUT',
      path: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      auth: true,
      handler: (ctx) => {
        // Discord answers 403 Missing Access when the bot is not in the guild (or lacks applications.commands).
        if (ctx.params[0] !== applicationId || !guilds.has(ctx.params[1]!)) throw ctx.error(403, 50001, 'Missing Access');
        return upsertCommands(ctx.params[1]!, ctx, ctx.request.body);
      },
    },
    {
      method: 'POST',
      path: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      auth: false,
      handler: (ctx) => {
        const [id, tok] = ctx.params as [string, string];
        const i = interactions.get(id);
        if (!i || i.token !== tok) throw ctx.error(404, 10062, 'Unknown interaction');
        if (Date.now() - i.createdAt > ackDeadlineMs) throw ctx.error(404, 10062, 'Unknown interaction');
        if (i.ackType !== undefined) throw ctx.error(400, 40060, 'Interaction has already been acknowledged.');
        const body = ctx.request.body ?? {};
        const type = Number(body.type);
        const allowed = allowedCallbacks(i);
        if (!allowed.includes(type)) throw ctx.error(400, 50035, 'Invalid Form Body', { type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: `Response type ${type} is not valid for interaction type ${i.type}` }] } });
        if (type === 4) validateMessageBody(ctx, body.data, i.channelId);
        if (type === 7) validateMessageBody(ctx, body.data, i.channelId, false);
        if (type === 9) {
          const d = body.data ?? {};
          if (!d.custom_id || !d.title || !Array.isArray(d.components) || d.components.length === 0) throw ctx.error(400, 50035, 'Invalid Form Body', { data: { _errors: [{ code: 'MODAL_INVALID', message: 'custom_id, title and components are required' }] } });
        }
        i.ackType = type;
        if (type === 4 || type === 5) {
          i.original = storeMessage(i.channelId, bot, type === 4 ? body.data : { flags: body.data?.flags }, { interactionId: i.id, flags: Number(body.data?.flags ?? 0) | (type === 5 ? 128 : 0) }, ctx.request.seq);
        }
        if (type === 7 && i.original) editMessage(i.original, body.data);
        record(ctx, i, 'callback', body, type);
        if (ctx.request.query.get('with_response') === 'true') {
          return { interaction: { id: i.id, type: i.type, activity_instance_id: null, response_message_id: i.original?.id ?? null, response_message_loading: type === 5, response_message_ephemeral: Boolean(Number(body.data?.flags ?? 0) & 64) }, resource: { type, ...(i.original ? { message: messagePayload(i.original) } : {}) } };
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/,
      auth: false,
      handler: (ctx) => {
        const i = liveInteraction(ctx, ctx.params[0]!, ctx.params[1]!);
        if (!i.original) throw ctx.error(404, 10008, 'Unknown Message');
        return messagePayload(i.original);
      },
    },
    {
      method: 'PATCH',
      path: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/,
      auth: false,
      handler: (ctx) => {
        const i = liveInteraction(ctx, ctx.params[0]!, ctx.params[1]!);
        if (!i.original || i.original.deleted) throw ctx.error(404, 10008, 'Unknown Message');
        validateMessageBody(ctx, ctx.request.body, i.channelId, false);
        editMessage(i.original, ctx.request.body);
        i.original.flags &= ~128; // no longer "thinking"
        record(ctx, i, 'edit-original', ctx.request.body);
        return messagePayload(i.original);
      },
    },
    {
      method: 'DELETE',
      path: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/,
      auth: false,
      handler: (ctx) => {
        const i = liveInteraction(ctx, ctx.params[0]!, ctx.params[1]!);
        if (!i.original || i.original.deleted) throw ctx.error(404, 10008, 'Unknown Message');
        i.original.deleted = true;
        record(ctx, i, 'delete-original', {});
        return NO_CONTENT;
      },
    },
    {
      method: 'POST',
      path: /^\/webhooks\/(\d+)\/([^/]+)$/,
      auth: false,
      handler: (ctx) => {
        const i = liveInteraction(ctx, ctx.params[0]!, ctx.params[1]!);
        validateMessageBody(ctx, ctx.request.body, i.channelId);
        const m = storeMessage(i.channelId, bot, ctx.request.body, { interactionId: i.id }, ctx.request.seq);
        i.followups.push(m);
        record(ctx, i, 'followup', ctx.request.body);
        return messagePayload(m);
      },
    },
    {
      method: 'PATCH',
      path: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(\d+)$/,
      auth: false,
      handler: (ctx) => {
        const i = liveInteraction(ctx, ctx.params[0]!, ctx.params[1]!);
        const m = i.followups.find((f) => f.id === ctx.params[2]) ?? (i.original?.id === ctx.params[2] ? i.original : undefined);
        if (!m || m.deleted) throw ctx.error(404, 10008, 'Unknown Message');
        validateMessageBody(ctx, ctx.request.body, i.channelId, false);
        editMessage(m, ctx.request.body);
        record(ctx, i, 'edit-followup', ctx.request.body);
        return messagePayload(m);
      },
    },
    {
      method: 'GET',
      path: /^\/channels\/(\d+)$/,
      auth: true,
      handler: (ctx) => {
        const c = channels.get(ctx.params[0]!);
        return c ? channelPayload(c) : ctx.error(404, 10003, 'Unknown Channel');
      },
    },
    {
      method: 'POST',
      path: /^\/channels\/(\d+)\/messages$/,
      auth: true,
      handler: (ctx) => {
        const channelId = ctx.params[0]!;
        const c = channels.get(channelId);
        if (!c) throw ctx.error(404, 10003, 'Unknown Channel');
        if (c.guild_id && !(permissionsOf(c.guild_id, bot.id) & PERMISSIONS.SendMessages)) throw ctx.error(403, 50013, 'Missing Permissions');
        validateMessageBody(ctx, ctx.request.body, channelId);
        // enforce_nonce: a nonce the bot used in this channel in the last few minutes returns that message, creating none.
        const nonce = ctx.request.body?.enforce_nonce === true && ctx.request.body?.nonce !== undefined ? `${channelId}:${String(ctx.request.body.nonce)}` : undefined;
        const earlier = nonce ? nonces.get(nonce) : undefined;
        if (earlier && Date.now() - earlier.at < NONCE_WINDOW_MS) return messagePayload(messages.get(earlier.id)!);
        const m = storeMessage(channelId, bot, ctx.request.body, {}, ctx.request.seq);
        if (nonce) nonces.set(nonce, { id: m.id, at: Date.now() });
        const payload = messagePayload(m);
        // Discord tells every session about the bot's own message too (not awaited: the REST answer does not wait for it).
        if (options.echo !== false) void fake.dispatch('MESSAGE_CREATE', { ...payload, ...(c.type === 1 ? { channel_type: 1 } : {}) });
        return payload;
      },
    },
    {
      method: 'GET',
      path: /^\/channels\/(\d+)\/messages$/,
      auth: true,
      handler: (ctx) => {
        const channelId = ctx.params[0]!;
        if (!channels.has(channelId)) throw ctx.error(404, 10003, 'Unknown Channel');
        const q = ctx.request.query;
        const limit = Math.min(100, Number(q.get('limit') ?? 50));
        let list = [...messages.values()].filter((m) => m.channel_id === channelId && !m.deleted && m.interactionId === undefined);
        const before = q.get('before');
        const after = q.get('after');
        if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
        if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
        list.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
        return list.slice(0, limit).map((m) => messagePayload(m));
      },
    },
    {
      method: 'GET',
      path: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      auth: true,
      handler: (ctx) => {
        const m = messages.get(ctx.params[1]!);
        if (!channels.has(ctx.params[0]!)) throw ctx.error(404, 10003, 'Unknown Channel');
        if (!m || m.deleted || m.channel_id !== ctx.params[0]) throw ctx.error(404, 10008, 'Unknown Message');
        return messagePayload(m);
      },
    },
    {
      method: 'PATCH',
      path: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      auth: true,
      handler: (ctx) => {
        const m = messages.get(ctx.params[1]!);
        if (!m || m.deleted || m.channel_id !== ctx.params[0]) throw ctx.error(404, 10008, 'Unknown Message');
        if (m.author.id !== bot.id) throw ctx.error(403, 50005, 'Cannot edit a message authored by another user');
        validateMessageBody(ctx, ctx.request.body, m.channel_id, false);
        editMessage(m, ctx.request.body);
        return messagePayload(m);
      },
    },
    {
      // "Bot is typing…" (POST /channels/{id}/typing → 204); count them with requestsTo('POST', /\/typing$/).
      method: 'POST',
      path: /^\/channels\/(\d+)\/typing$/,
      auth: true,
      handler: (ctx) => {
        if (!channels.has(ctx.params[0]!)) throw ctx.error(404, 10003, 'Unknown Channel');
        return NO_CONTENT;
      },
    },
    {
      method: 'PUT',
      path: /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
      auth: true,
      handler: (ctx) => {
        const m = messages.get(ctx.params[1]!);
        if (!m || m.deleted || m.channel_id !== ctx.params[0]) throw ctx.error(404, 10008, 'Unknown Message');
        const emoji = decodeURIComponent(ctx.params[2]!);
        if (!isEmoji(emoji)) throw ctx.error(400, 10014, 'Unknown Emoji');
        const who = m.reactions.get(emoji) ?? new Set<string>();
        who.add(bot.id);
        m.reactions.set(emoji, who);
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
      auth: true,
      handler: (ctx) => {
        const m = messages.get(ctx.params[1]!);
        if (!m || m.deleted) throw ctx.error(404, 10008, 'Unknown Message');
        m.reactions.get(decodeURIComponent(ctx.params[2]!))?.delete(bot.id);
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: /^\/guilds\/(\d+)$/,
      auth: true,
      handler: (ctx) => (guilds.has(ctx.params[0]!) ? guildPayload(ctx.params[0]!) : ctx.error(404, 10004, 'Unknown Guild')),
    },
    {
      method: 'GET',
      path: /^\/guilds\/(\d+)\/channels$/,
      auth: true,
      handler: (ctx) => {
        if (!guilds.has(ctx.params[0]!)) throw ctx.error(404, 10004, 'Unknown Guild');
        return [...channels.values()].filter((c) => c.guild_id === ctx.params[0] && c.type !== 11 && c.type !== 12).map(channelPayload);
      },
    },
    {
      method: 'GET',
      path: /^\/guilds\/(\d+)\/roles$/,
      auth: true,
      handler: (ctx) => {
        const g = guilds.get(ctx.params[0]!);
        if (!g) throw ctx.error(404, 10004, 'Unknown Guild');
        return guildPayload(g.id).roles;
      },
    },
    {
      method: 'GET',
      path: /^\/guilds\/(\d+)\/members\/(\d+)$/,
      auth: true,
      handler: (ctx) => memberPayload(ctx.params[0]!, ctx.params[1]!) ?? ctx.error(404, 10007, 'Unknown Member'),
    },
  ];

  // ---------- HTTP server ----------
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, { message: `fake Discord: ${error instanceof Error ? error.message : String(error)}`, code: 0 });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    // discord.js encodes `@original` / `@me` as `%40…`; emoji stay encoded for the reaction routes.
    const path = url.pathname.replace(/^\/api(?:\/v\d+)?/, '').replace(/%40/gi, '@');
    const method = (req.method ?? 'GET').toUpperCase();
    const request: DiscordRequest = { seq: ++seq, method, path, query: url.searchParams, headers: req.headers, body: parseBody(raw, req.headers['content-type']), at };
    requests.push(request);
    for (const w of [...requestWaiters]) w(request);
    const answer = (status: number, body: Json, headers: Record<string, string> = {}): void => {
      request.status = status;
      send(res, status, body, headers);
    };

    const fi = faults.findIndex((f) => f.method === method && f.path.test(path));
    const fault = fi >= 0 ? faults.splice(fi, 1)[0]!.failure : undefined;
    if (fault && 'drop' in fault) {
      request.fault = 'drop';
      req.socket.destroy();
      return;
    }
    const delay = latencies.find((l) => (!l.method || l.method === method) && (!l.path || l.path.test(path)));
    if (delay && delay.ms > 0) await new Promise((r) => setTimeout(r, delay.ms));
    if (held && (!held.path || held.path.test(path))) await held.until;
    if (closed || res.destroyed) return;
    if (fault) {
      request.fault = 'fail';
      if (fault.status === 429) {
        const f = fault as Extract<DiscordFailure, { status: 429 }>;
        const after = f.retryAfter ?? 0.05;
        const scope = f.scope ?? (f.global ? 'global' : 'user');
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: after, global: Boolean(f.global), ...(f.global ? {} : { code: 0 }) },
          {
            // Discord sends whole seconds here and the exact figure in the body; tests want short waits.
            'retry-after': String(after),
            'x-ratelimit-limit': '5',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': ((Date.now() + after * 1000) / 1000).toFixed(3),
            'x-ratelimit-reset-after': after.toFixed(3),
            'x-ratelimit-bucket': 'fakebucket',
            'x-ratelimit-scope': scope,
            ...(f.global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        );
      }
      if ('code' in fault) return answer(fault.status, { message: fault.message, code: fault.code });
      return answer(fault.status, { message: `${fault.status}: Internal Server Error`, code: 0 });
    }

    let allowedOther = false;
    for (const route of routes) {
      const match = route.path.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowedOther = true;
        continue;
      }
      if (route.auth && req.headers.authorization !== `Bot ${token}`) return answer(401, { message: '401: Unauthorized', code: 0 });
      const ctx: RouteCtx = {
        params: match.slice(1),
        request,
        error: (status, code, message, errors) => new ApiError(status, { message, code, ...(errors ? { errors } : {}) }),
      };
      try {
        const out = await route.handler(ctx);
        if (out instanceof ApiError) return answer(out.status, out.body);
        if (out === NO_CONTENT) {
          request.status = 204;
          res.writeHead(204).end();
          return;
        }
        return answer(200, out);
      } catch (error) {
        if (error instanceof ApiError) return answer(error.status, error.body);
        throw error;
      }
    }
    answer(allowedOther ? 405 : 404, { message: allowedOther ? '405: Method Not Allowed' : '404: Not Found', code: 0 });
  }

  // ---------- gateway ----------
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/gateway') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url.searchParams));
  });

  function sendOp(ws: WebSocket, payload: Json): Promise<void> {
    return new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      ws.send(JSON.stringify(payload), () => resolve());
    });
  }

  function sendDispatch(session: Session, t: string, d: Json): Promise<void> {
    const s = ++session.seq;
    session.sent.push({ s, t, d });
    if (session.sent.length > 5000) session.sent.shift();
    return session.ws ? sendOp(session.ws, { op: 0, t, s, d }) : Promise.resolve();
  }

  function onConnection(ws: WebSocket, query: URLSearchParams): void {
    if (query.get('encoding') && query.get('encoding') !== 'json') {
      ws.close(4002, 'Decode error');
      return;
    }
    let session: Session | null = null;
    void sendOp(ws, { op: 10, s: null, t: null, d: { heartbeat_interval: heartbeatIntervalMs, _trace: ['fake-gateway'] } });
    ws.on('message', (raw) => {
      let payload: Json;
      try {
        payload = JSON.parse(String(raw));
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      switch (payload.op) {
        case 1:
          void sendOp(ws, { op: 11, s: null, t: null, d: null });
          return;
        case 2: {
          const d = payload.d ?? {};
          if (d.token !== token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          const intents = Number(d.intents ?? 0);
          if (intents & PRIVILEGED & ~privileged) {
            ws.close(4014, 'Disallowed intent(s).');
            return;
          }
          const shard: [number, number] = Array.isArray(d.shard) ? [Number(d.shard[0]), Number(d.shard[1])] : [0, 1];
          if (shard[0] >= shard[1]) {
            ws.close(4010, 'Invalid shard.');
            return;
          }
          session = { id: randomBytes(16).toString('hex'), shard, intents, seq: 0, ws, sent: [], identifiedAt: Date.now() };
          sessions.set(session.id, session);
          void identify(session);
          return;
        }
        case 6: {
          const d = payload.d ?? {};
          const known = sessions.get(String(d.session_id));
          if (d.token !== token || !known) {
            void sendOp(ws, { op: 9, s: null, t: null, d: false });
            return;
          }
          session = known;
          known.ws = ws;
          void (async () => {
            for (const e of known.sent.filter((x) => x.s > Number(d.seq ?? 0))) await sendOp(ws, { op: 0, t: e.t, s: e.s, d: e.d });
            await sendDispatch(known, 'RESUMED', { _trace: ['fake-gateway'] });
          })();
          return;
        }
        default:
          return; // presence updates, member requests…: accepted and ignored
      }
    });
    ws.on('close', () => {
      if (session && session.ws === ws) session.ws = null;
    });
  }

  async function identify(session: Session): Promise<void> {
    const mine = [...guilds.keys()].filter((id) => shardOf(id, session.shard[1]) === session.shard[0]);
    await sendDispatch(session, 'READY', {
      v: 10,
      user: { ...bot, verified: true, mfa_enabled: false, flags: 0 },
      guilds: mine.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: gatewayUrl,
      shard: session.shard,
      application: { id: applicationId, flags: 0 },
      user_settings: {},
      relationships: [],
      private_channels: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
    });
    if (session.intents & INTENTS.Guilds) for (const id of mine) await sendDispatch(session, 'GUILD_CREATE', guildPayload(id));
    for (const w of readyWaiters.splice(0)) w();
  }

  const wants = (session: Session, t: string, d: Json): boolean => {
    const guild = typeof d?.guild_id === 'string';
    const need: Record<string, number> = {
      MESSAGE_CREATE: guild ? INTENTS.GuildMessages : INTENTS.DirectMessages,
      MESSAGE_UPDATE: guild ? INTENTS.GuildMessages : INTENTS.DirectMessages,
      MESSAGE_DELETE: guild ? INTENTS.GuildMessages : INTENTS.DirectMessages,
      MESSAGE_DELETE_BULK: INTENTS.GuildMessages,
      MESSAGE_REACTION_ADD: guild ? INTENTS.GuildMessageReactions : INTENTS.DirectMessageReactions,
      MESSAGE_REACTION_REMOVE: guild ? INTENTS.GuildMessageReactions : INTENTS.DirectMessageReactions,
      CHANNEL_CREATE: INTENTS.Guilds,
      CHANNEL_UPDATE: INTENTS.Guilds,
      CHANNEL_DELETE: INTENTS.Guilds,
      THREAD_CREATE: INTENTS.Guilds,
      GUILD_CREATE: INTENTS.Guilds,
      GUILD_MEMBER_UPDATE: INTENTS.GuildMembers,
    };
    const bit = need[t];
    return bit === undefined || (session.intents & bit) !== 0;
  };
  /** Discord blanks message content for apps without the MessageContent intent (not in DMs or mentions). */
  const redact = (session: Session, t: string, d: Json): Json => {
    if ((t !== 'MESSAGE_CREATE' && t !== 'MESSAGE_UPDATE') || session.intents & INTENTS.MessageContent) return d;
    const mentionsBot = Array.isArray(d?.mentions) && d.mentions.some((u: Json) => u?.id === bot.id);
    if (!d?.guild_id || mentionsBot || d?.author?.id === bot.id) return d;
    return { ...d, content: '', embeds: [], attachments: [], components: [] };
  };

  function dmChannel(userId: string): FakeChannel {
    const existing = [...channels.values()].find((c) => c.type === 1 && c.recipients?.[0]?.id === userId);
    if (existing) return existing;
    const c: FakeChannel = { id: snowflake(), type: 1, recipients: [users.get(userId)!] };
    channels.set(c.id, c);
    return c;
  }

  async function broadcastGuild(guildId: string, t: string, d: Json): Promise<void> {
    await fake.dispatch(t, { ...d, guild_id: guildId });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  const fake: FakeDiscord = {
    url: `${origin}/api`,
    gatewayUrl,
    token,
    bot,
    applicationId,
    requests,
    events,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)),
    waitForRequest(method, path, match = () => true) {
      const fits = (r: DiscordRequest) => r.method === method && path.test(r.path) && match(r);
      const seen = requests.find(fits);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const w = (r: DiscordRequest): void => {
          if (!fits(r)) return;
          requestWaiters.delete(w);
          resolve(r);
        };
        requestWaiters.add(w);
      });
    },

    addUser(name, o = {}) {
      const user: FakeUser = { id: o.id ?? snowflake(), username: name, global_name: name, discriminator: '0', avatar: null, ...(o.bot ? { bot: true } : {}) };
      users.set(user.id, user);
      return user;
    },
    addGuild(o) {
      const id = o.id ?? snowflake();
      const ownerId = o.ownerId ?? fake.addUser(`${o.name}-owner`).id;
      const roles = new Map<string, FakeRole>();
      // @everyone: view, send, read history, add reactions, use application commands.
      const everyone = (1n << 10n) | PERMISSIONS.SendMessages | (1n << 16n) | (1n << 6n) | (1n << 31n);
      roles.set(id, { id, name: '@everyone', permissions: everyone.toString(), position: 0 });
      guilds.set(id, { id, name: o.name, ownerId, roles, members: new Map([[bot.id, []], [ownerId, []]]), joinedAt: new Date().toISOString() });
      return { id, everyoneRoleId: id };
    },
    addRole(guildId, o) {
      const g = guilds.get(guildId);
      if (!g) throw new Error(`fake Discord: no guild ${guildId}`);
      const role: FakeRole = { id: o.id ?? snowflake(), name: o.name, permissions: (o.permissions ?? 0n).toString(), position: g.roles.size };
      g.roles.set(role.id, role);
      return role;
    },
    addMember(guildId, userId, roles = []) {
      const g = guilds.get(guildId);
      if (!g) throw new Error(`fake Discord: no guild ${guildId}`);
      g.members.set(userId, roles);
    },
    async addChannel(guildId, o) {
      if (!guilds.has(guildId)) throw new Error(`fake Discord: no guild ${guildId}`);
      const c: FakeChannel = { id: o.id ?? snowflake(), type: o.type ?? 0, name: o.name, guild_id: guildId, parent_id: null };
      channels.set(c.id, c);
      await broadcastGuild(guildId, 'CHANNEL_CREATE', channelPayload(c));
      return c;
    },
    async addThread(parentId, o) {
      const parent = channels.get(parentId);
      if (!parent?.guild_id) throw new Error(`fake Discord: no guild channel ${parentId}`);
      const existing = o.fromMessageId ? channels.get(o.fromMessageId) : undefined;
      if (existing) return existing;
      const c: FakeChannel = { id: o.fromMessageId ?? snowflake(), type: 11, name: o.name, guild_id: parent.guild_id, parent_id: parentId };
      channels.set(c.id, c);
      await broadcastGuild(parent.guild_id, 'THREAD_CREATE', { ...channelPayload(c), newly_created: true });
      return c;
    },
    dmChannel,
    channel: (id) => channels.get(id),
    addMessage(o) {
      const author = users.get(o.author);
      if (!author) throw new Error(`fake Discord: no user ${o.author}`);
      if (!channels.has(o.channel)) throw new Error(`fake Discord: no channel ${o.channel}`);
      return storeMessage(o.channel, author, { content: o.content, ...(o.reference ? { message_reference: { message_id: o.reference } } : {}) });
    },
    message: (id) => messages.get(id),
    messages: (channelId) => [...messages.values()].filter((m) => !m.deleted && m.interactionId === undefined && (channelId === undefined || m.channel_id === channelId)),
    posted: (channelId) => fake.messages(channelId).filter((m) => m.author.id === bot.id),
    allMessages: () => [...messages.values()],
    deleteMessage(id) {
      const m = messages.get(id);
      if (m) m.deleted = true;
    },
    messagePayload: (m) => messagePayload(m),
    pings,
    memberPayload,
    permissionsOf,
    commands: (guildId) => commands.get(guildId ?? '') ?? [],

    async interact(spec) {
      const channel = channels.get(spec.channel);
      if (!channel) throw new Error(`fake Discord: no channel ${spec.channel}`);
      const user = users.get(spec.user);
      if (!user) throw new Error(`fake Discord: no user ${spec.user}`);
      const id = snowflake();
      const tok = `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`;
      const guildId = channel.guild_id;
      const member = guildId ? memberPayload(guildId, user.id) : undefined;
      const payload: Json = {
        id,
        application_id: applicationId,
        type: spec.type,
        token: tok,
        version: 1,
        ...(spec.data ? { data: spec.data } : {}),
        ...(guildId
          ? { guild_id: guildId, guild: { id: guildId, locale: 'en-US', features: [] }, guild_locale: 'en-US', member: { ...(member ?? { user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }), permissions: permissionsOf(guildId, user.id).toString() } }
          : { user }),
        channel: channelPayload(channel),
        channel_id: channel.id,
        ...(spec.message ? { message: messagePayload(spec.message) } : {}),
        app_permissions: (guildId ? permissionsOf(guildId, bot.id) : ALL_PERMISSIONS).toString(),
        locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: guildId ? { '0': guildId } : { '1': user.id },
        context: guildId ? 0 : 1,
        attachment_size_limit: 10_485_760,
      };
      const i: FakeInteraction = { id, token: tok, type: spec.type, userId: user.id, channelId: channel.id, ...(guildId ? { guildId } : {}), createdAt: Date.now(), payload, followups: [], ...(spec.message ? { original: spec.message } : {}) };
      interactions.set(id, i);
      tokens.set(tok, id);
      await fake.dispatch('INTERACTION_CREATE', payload);
      return i;
    },
    interaction: (id) => interactions.get(id),
    interactionByToken: (tok) => interactions.get(tokens.get(tok) ?? ''),

    sessions: () => [...sessions.values()],
    waitForSessions(count = 1) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (sessions.size >= count) resolve([...sessions.values()]);
          else readyWaiters.push(check);
        };
        check();
      });
    },
    async dispatch(t, d, options) {
      const guildId = typeof d?.guild_id === 'string' ? d.guild_id : undefined;
      let n = 0;
      for (const s of sessions.values()) {
        const shard = guildId ? shardOf(guildId, s.shard[1]) : 0;
        const to = options?.shards ? options.shards.includes(s.shard[0]) : shard === s.shard[0];
        if (!to || !wants(s, t, d)) continue;
        n += 1;
        await sendDispatch(s, t, redact(s, t, d));
      }
      return n;
    },
    reconnectAll() {
      for (const s of sessions.values()) if (s.ws) void sendOp(s.ws, { op: 7, s: null, t: null, d: null });
    },

    failNext(method, path, failure, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ method: method.toUpperCase(), path, failure });
    },
    setLatency(ms, method, path) {
      latencies.unshift({ ms, ...(method ? { method: method.toUpperCase() } : {}), ...(path ? { path } : {}) });
    },
    hold(path) {
      let release!: () => void;
      held = { ...(path ? { path } : {}), until: new Promise<void>((r) => (release = r)) };
      return () => {
        held = undefined;
        release();
      };
    },
    async close() {
      closed = true;
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;

  function allowedCallbacks(i: FakeInteraction): number[] {
    switch (i.type) {
      case 2: // application command
        return [4, 5, 9];
      case 3: // component
        return [4, 5, 6, 7, 9];
      case 4: // autocomplete
        return [8];
      case 5: // modal submit
        return i.original ? [4, 5, 6, 7] : [4, 5];
      default:
        return [];
    }
  }
}

function customIdsIn(components: Json): string[] {
  if (!Array.isArray(components)) return [];
  return components.flatMap((c: Json) => [...(typeof c?.custom_id === 'string' ? [c.custom_id] : []), ...customIdsIn(c?.components), ...customIdsIn(c?.component ? [c.component] : [])]);
}

/** Which shard receives a guild's events (Discord's formula). */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

function isEmoji(emoji: string): boolean {
  // Custom emoji `name:id`, or a unicode emoji (any pictographic character).
  return /^[\w~]{2,32}:\d+$/.test(emoji) || /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(emoji);
}

/** What Discord fills in when a command leaves it out. */
function defaultsForCommand(cmd: Json): Json {
  const chatInput = cmd.type === 1 || cmd.type === undefined;
  return { default_member_permissions: null, nsfw: false, ...(chatInput ? { options: [] } : { description: '' }) };
}

function stableJson(value: Json): string {
  return JSON.stringify(value, (_k, v: Json) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b))) : v));
}

function send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Application flags for enabled privileged intents: GUILD_MEMBERS → 1<<15, GUILD_PRESENCES → 1<<13, MESSAGE_CONTENT → 1<<19 (the "limited" ones). */
function applicationFlags(privileged: number): number {
  return (privileged & (1 << 1) ? 1 << 15 : 0) | (privileged & (1 << 8) ? 1 << 13 : 0) | (privileged & (1 << 15) ? 1 << 19 : 0);
}
