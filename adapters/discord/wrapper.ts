import { Client, type MessageCreateOptions } from 'discord.js';
import { ReplyOrigins } from '../../src/bot/origins.js';
import { broadcastAllowed, guardMentions } from '../../src/bot/safety.js';
import { RestyleError, toRestyleError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log.js';
import type { Restyler } from '../../src/restyle/restyler.js';
import type { Store } from '../../src/store/types.js';
import { discordPlace, type ChannelLike } from './convert.js';
import { allowedMentionsFor } from './mentions.js';
import { MESSAGE_LIMIT } from './render.js';

export interface RestyleDiscordOptions {
  /** Record what was posted in `store.ns('replies')`, so 👍/👎 on these messages reach the corpus. */
  store?: Store;
  logger?: Logger;
  /** Channels (`discord:…`) where @everyone, @here and roles the bot's text names may ping (`safety.allowBroadcast`); none by default. */
  allowBroadcast?: readonly string[];
}

type MakeRequest = Client['rest']['options']['makeRequest'];
type RequestInit = Parameters<MakeRequest>[1];
type ResponseLike = Awaited<ReturnType<MakeRequest>>;
type Json = Record<string, unknown>;

/** `noRestyle` marks a send through its nonce (the one field discord.js passes to the REST body as given); the marker never reaches Discord. */
const OPT_OUT = 'rs-off:';
/** A message create: `POST …/channels/{id}/messages`. */
const CREATE_MESSAGE = /\/channels\/(\d+)\/messages$/;

/**
 * One call for an existing discord.js bot: `restyleDiscord(client, restyler)`. Afterwards this client's
 * `channel.send(…)` and `message.reply(…)` to channels with a style mapped pass through the filter (thread
 * sends use the parent channel's style; mentions are never added; a failing model or store sends the text
 * as written). Opt out per call with `noRestyle(…)`. It hooks this client's REST `makeRequest` (a discord.js
 * option), nothing shared: other clients in the process are untouched. Returns a function that stops
 * filtering this client.
 *
 * @example
 * const ctx = await createRestyle();
 * restyleDiscord(client, ctx.restyler, { store: ctx.store });
 * await message.reply('Your build passed.');            // styled if the channel is mapped
 * await channel.send(noRestyle('```\nraw log\n```'));    // sent as is
 */
export function restyleDiscord(client: Client, restyler: Restyler, options: RestyleDiscordOptions = {}): () => void {
  if (!(client instanceof Client)) {
    throw new RestyleError('input_invalid', 'restyleDiscord: the client comes from another copy of discord.js than restyle uses; run `npm dedupe discord.js`');
  }
  const logger = options.logger ?? silentLogger();
  const origins = options.store ? new ReplyOrigins(options.store) : undefined;
  const rest = client.rest.options;
  const original = rest.makeRequest;
  const filtered: MakeRequest = async (url, init) => {
    const channelId = init.method === 'POST' ? CREATE_MESSAGE.exec(new URL(url).pathname)?.[1] : undefined;
    const payload = channelId ? readPayload(init) : undefined;
    if (!channelId || !payload) return original(url, init);
    const place = discordPlace(channelOf(client, channelId));
    // Every message this client creates pings only what its text names live (never the server by default).
    const send = (body: Json) => original(url, writePayload(init, safeMentions(body, broadcastAllowed(options.allowBroadcast, place.key))));
    const optedOut = typeof payload.nonce === 'string' && payload.nonce.startsWith(OPT_OUT);
    if (optedOut) return send(withoutMarker(payload));
    const neutral = payload.content;
    if (typeof neutral !== 'string' || neutral.trim() === '') return send(payload);
    const styled = await restyleContent(restyler, logger, place.key, neutral);
    if (!styled) return send(payload);
    const response = await send({ ...payload, content: styled.text });
    if (!origins || !response.ok) return response;
    // The body is read once here to learn the message id, and handed on as a fresh response.
    const text = await response.text();
    const id = (JSON.parse(text) as { id?: unknown }).id;
    if (typeof id === 'string') {
      await origins.record(place, [id], { style: styled.style, model: styled.model, neutral, styled: styled.text }).catch((error: unknown) => {
        logger.warn({ err: toRestyleError(error).message }, 'restyleDiscord: could not record the reply origin');
      });
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers }) as unknown as ResponseLike;
  };
  rest.makeRequest = filtered;
  return () => {
    if (rest.makeRequest === filtered) rest.makeRequest = original;
  };
}

/** Mark a send so the filter leaves it alone: `channel.send(noRestyle('as is'))`, `message.reply(noRestyle({ content }))`. */
export function noRestyle(content: string): MessageCreateOptions;
export function noRestyle<T extends MessageCreateOptions>(options: T): T;
export function noRestyle(options: string | MessageCreateOptions): MessageCreateOptions {
  const given = typeof options === 'string' ? { content: options } : options;
  return { ...given, nonce: `${OPT_OUT}${given.nonce ?? ''}` };
}

async function restyleContent(restyler: Restyler, logger: Logger, channel: string, neutral: string): Promise<{ text: string; style: string | null; model: string | null } | null> {
  try {
    const r = await restyler.restyle(neutral, { channel, onError: 'original' });
    const safe = guardMentions(neutral, r.text);
    if (r.styled && safe.blocked.length === 0 && safe.text.length <= MESSAGE_LIMIT) return { text: safe.text, style: r.style, model: r.model };
    if (r.styled) logger.warn({ channel, blocked: safe.blocked, length: safe.text.length }, 'restyleDiscord: styled text unusable; sending it as written');
  } catch (error) {
    logger.warn({ err: toRestyleError(error).message, channel }, 'restyleDiscord: sending the text as written');
  }
  return null;
}

/** The channel from the client's cache (threads know their parent); an uncached one stands for itself. */
function channelOf(client: Client, id: string): ChannelLike {
  return client.channels.cache.get(id) ?? { id, parentId: null, isThread: () => false, isDMBased: () => false };
}

/** The message JSON of a create: the body itself, or `payload_json` when files ride along (multipart). */
function readPayload(init: RequestInit): Json | undefined {
  try {
    if (typeof init.body === 'string') return JSON.parse(init.body) as Json;
    if (init.body instanceof FormData) {
      const json = (init.body as unknown as globalThis.FormData).get('payload_json');
      return typeof json === 'string' ? (JSON.parse(json) as Json) : undefined;
    }
  } catch {
    // Not JSON: not a message we can read; send it untouched.
  }
  return undefined;
}

/** A copy of the request with this payload (the original stays as it was: discord.js reuses it on retries). */
function writePayload(init: RequestInit, payload: Json): RequestInit {
  if (!(init.body instanceof FormData)) return { ...init, body: JSON.stringify(payload) };
  // discord.js builds the multipart body with Node's own FormData; undici's typings name another class.
  const source = init.body as unknown as globalThis.FormData;
  const form = new FormData();
  for (const [key, value] of source.entries()) {
    if (key === 'payload_json') form.append(key, JSON.stringify(payload));
    else if (typeof value === 'string') form.append(key, value);
    else form.append(key, value, value.name);
  }
  return { ...init, body: form as unknown as RequestInit['body'] };
}

function withoutMarker(payload: Json): Json {
  const { nonce, ...rest } = payload;
  const given = String(nonce).slice(OPT_OUT.length);
  return given === '' ? rest : { ...rest, nonce: given };
}

/**
 * Whatever the bot's code asked for, a send pings only the users its text names live and — in a channel
 * that allows broadcasts — the roles and @everyone/@here it names; never the whole server by default.
 */
function safeMentions(payload: Json, broadcast: boolean): Json {
  const { replied_user: _ignored, ...allowed } = allowedMentionsFor(typeof payload.content === 'string' ? payload.content : '', { broadcast });
  const repliedUser = (payload.allowed_mentions as { replied_user?: unknown } | undefined)?.replied_user;
  return { ...payload, allowed_mentions: { parse: allowed.parse ?? [], users: allowed.users ?? [], roles: allowed.roles ?? [], ...(repliedUser === undefined ? {} : { replied_user: repliedUser }) } };
}
