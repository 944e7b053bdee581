import { BaseGuildTextChannel, BaseGuildVoiceChannel, Client, DMChannel, MessagePayload, ThreadChannel, type Message, type MessageCreateOptions } from 'discord.js';
import { ReplyOrigins } from '../../src/bot/origins.js';
import { broadcastAllowed, guardMentions } from '../../src/bot/safety.js';
import { RestyleError, toRestyleError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log.js';
import type { Restyler } from '../../src/restyle/filter.js';
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

type SendOptions = string | MessagePayload | (MessageCreateOptions & { restyle?: boolean });
type Send = (this: SendTarget, options: SendOptions) => Promise<Message>;
type SendTarget = ChannelLike & { client: Client };
type Filter = (channel: SendTarget, options: SendOptions, send: (options: SendOptions) => Promise<Message>) => Promise<Message>;

/** The channel classes whose `send` discord.js defines (subclasses such as TextChannel inherit it). */
const SENDERS = [BaseGuildTextChannel, BaseGuildVoiceChannel, DMChannel, ThreadChannel];
const ORIGINAL = Symbol.for('restyle.discord.send');
const filters = new WeakMap<Client, Filter>();

/**
 * One call for an existing discord.js bot: `restyleDiscord(client, restyler)`. Afterwards its
 * `channel.send(…)` and `message.reply(…)` to channels with a style mapped pass through the filter (thread
 * sends use the parent channel's style; mentions are never added; a failing model or store sends the text
 * as written). Opt out per call with `noRestyle(…)` or `restyle: false`. Other clients in the process are
 * untouched. Returns a function that stops filtering this client.
 *
 * @example
 * const ctx = await createContext(loadConfig({ env: processEnv() }));
 * restyleDiscord(client, ctx.restyler, { store: ctx.store });
 * await message.reply('Your build passed.');            // styled if the channel is mapped
 * await channel.send(noRestyle('```\nraw log\n```'));    // sent as is
 */
export function restyleDiscord(client: Client, restyler: Restyler, options: RestyleDiscordOptions = {}): () => void {
  if (!(client instanceof Client)) {
    throw new RestyleError('input_invalid', 'restyleDiscord: the client comes from another copy of discord.js than restyle uses; run `npm dedupe discord.js`');
  }
  installSendHook();
  const logger = options.logger ?? silentLogger();
  const origins = options.store ? new ReplyOrigins(options.store) : undefined;
  filters.set(client, async (channel, input, send) => {
    const place = discordPlace(channel);
    const raw = safeMentions(rawOptions(input), broadcastAllowed(options.allowBroadcast, place.key));
    if (raw.restyle === false) return send(withOptions(input, without(raw)));
    const neutral = raw.content;
    if (typeof neutral !== 'string' || neutral.trim() === '') return send(withOptions(input, without(raw)));
    let styled: { text: string; style: string | null; model: string | null } | null = null;
    try {
      const r = await restyler.restyle(neutral, { channel: place.key, onError: 'original' });
      const safe = guardMentions(neutral, r.text);
      if (r.styled && safe.blocked.length === 0 && safe.text.length <= MESSAGE_LIMIT) styled = { text: safe.text, style: r.style, model: r.model };
      else if (r.styled) logger.warn({ channel: place.key, blocked: safe.blocked, length: safe.text.length }, 'restyleDiscord: styled text unusable; sending it as written');
    } catch (error) {
      logger.warn({ err: toRestyleError(error).message, channel: place.key }, 'restyleDiscord: sending the text as written');
    }
    if (!styled) return send(withOptions(input, without(raw)));
    const message = await send(withOptions(input, { ...without(raw), content: styled.text }));
    if (origins) {
      await origins.record(place, [message.id], { style: styled.style, model: styled.model, neutral, styled: styled.text }).catch((error: unknown) => {
        logger.warn({ err: toRestyleError(error).message }, 'restyleDiscord: could not record the reply origin');
      });
    }
    return message;
  });
  return () => {
    filters.delete(client);
  };
}

/** Mark a send so the filter leaves it alone: `channel.send(noRestyle('as is'))`, `message.reply(noRestyle({ content }))`. */
export function noRestyle(content: string): MessageCreateOptions & { restyle: false };
export function noRestyle<T extends object>(options: T): T & { restyle: false };
export function noRestyle(options: string | object): object {
  return typeof options === 'string' ? { content: options, restyle: false } : { ...options, restyle: false };
}

/**
 * discord.js builds channel classes once per process, so the hook goes on their prototypes, once; it
 * does nothing for clients `restyleDiscord` was not called with.
 */
function installSendHook(): void {
  for (const Sender of SENDERS) {
    const proto = Sender.prototype as unknown as Record<PropertyKey, unknown>;
    if (!Object.prototype.hasOwnProperty.call(proto, 'send') || Object.prototype.hasOwnProperty.call(proto, ORIGINAL)) continue;
    const original = proto.send as Send;
    Object.defineProperty(proto, ORIGINAL, { value: original });
    Object.defineProperty(proto, 'send', {
      configurable: true,
      writable: true,
      value: function send(this: SendTarget, options: SendOptions): Promise<Message> {
        const filter = filters.get(this.client);
        return filter ? filter(this, options, (o) => original.call(this, o)) : original.call(this, options);
      },
    });
  }
}

function rawOptions(input: SendOptions): MessageCreateOptions & { restyle?: boolean } {
  if (typeof input === 'string') return { content: input };
  if (input instanceof MessagePayload) return (input.options ?? {}) as MessageCreateOptions & { restyle?: boolean };
  return input;
}

function without(raw: MessageCreateOptions & { restyle?: boolean }): MessageCreateOptions {
  const { restyle: _restyle, ...rest } = raw;
  return rest;
}

/** The same kind of argument `send` got (a payload keeps its target, e.g. the message replied to). */
function withOptions(input: SendOptions, options: MessageCreateOptions): SendOptions {
  return input instanceof MessagePayload ? new MessagePayload(input.target, options) : options;
}

/**
 * Whatever the bot's code asked for, a send pings only the users its text names live and — in a channel
 * that allows broadcasts — the roles and @everyone/@here it names; never the whole server by default.
 */
function safeMentions(raw: MessageCreateOptions & { restyle?: boolean }, broadcast: boolean): MessageCreateOptions & { restyle?: boolean } {
  const allowed = allowedMentionsFor(typeof raw.content === 'string' ? raw.content : '', { broadcast });
  const repliedUser = raw.allowedMentions?.repliedUser;
  return {
    ...raw,
    allowedMentions: { parse: allowed.parse ?? [], users: allowed.users ?? [], roles: allowed.roles ?? [], ...(repliedUser === undefined ? {} : { repliedUser }) },
  };
}
