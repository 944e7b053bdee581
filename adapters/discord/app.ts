import { once } from 'node:events';
import { DiscordjsError, DiscordjsErrorCodes, Events, GatewayCloseCodes, type Client, type ClientOptions } from 'discord.js';
import type { AppContext } from '../../src/app.js';
import { Bot } from '../../src/bot/bot.js';
import type { RunningPlatform } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { InFlight } from '../../src/util/inflight.js';
import { DiscordActions } from './actions.js';
import { createDiscordClient } from './client.js';
import type { DiscordDeps } from './deps.js';
import { discordError } from './errors.js';
import { registerEvents } from './events.js';
import { registerInteractions } from './interactions.js';
import { Shower } from './show.js';
import { discordPoster } from './post.js';
import { discordJobs } from './jobs.js';

export interface DiscordOptions {
  ctx: Pick<AppContext, 'settings' | 'store' | 'restyler' | 'llm' | 'logger' | 'queue'>;
  /** A client of your own (sharding, tests); by default one from `createDiscordClient`. It is logged in here and destroyed by `stop()`. */
  client?: Client;
  /** Options merged into the default client's (ignored with `client`). */
  clientOptions?: Partial<ClientOptions>;
  /** For the webhook answer source (tests inject theirs). */
  fetch?: typeof fetch;
  now?: () => Date;
  newId?: () => string;
  /** How long to wait for the gateway to be ready (default 60 s). */
  readyTimeoutMs?: number;
}

export interface RunningDiscord extends RunningPlatform {
  readonly client: Client;
  post: NonNullable<RunningPlatform['post']>;
  readonly bot: Bot;
  /** Resolves once every event received so far has been handled (tests, graceful stop). */
  idle(): Promise<void>;
}

/**
 * The Discord bot: a discord.js client with restyle's intents, every event and interaction wired to the
 * platform-free use cases in src/bot. Resolves once the gateway is ready; a bad token or a missing
 * privileged intent fails start-up with a message saying what to fix.
 */
export async function startDiscord(options: DiscordOptions): Promise<RunningDiscord> {
  const { ctx } = options;
  const token = ctx.settings.discord.botToken;
  if (!token) throw new RestyleError('env_missing', 'DISCORD_BOT_TOKEN is not set: copy the bot token from the Discord developer portal (Bot → Reset Token)');
  const logger = ctx.logger.child({ platform: 'discord' });
  const client = options.client ?? createDiscordClient(ctx.settings, options.clientOptions);
  const inflight = new InFlight();
  const actions = new DiscordActions(client.rest, logger, ctx.settings.safety.allowBroadcast);
  const bot = new Bot({ ...ctx, actions, logger, fetch: options.fetch, now: options.now, newId: options.newId });
  const deps: DiscordDeps = { bot, client, settings: ctx.settings, shower: new Shower(client, logger), inflight, logger, ...(ctx.queue ? { queue: ctx.queue, acks: new Map() } : {}) };
  // With a queue, mentions, interactions, reactions and deletes are recorded first and done by jobs (./jobs.ts).
  if (ctx.queue) discordJobs(ctx.queue, deps);

  const off = [registerInteractions(client, deps), registerEvents(client, deps)];
  watch(client, logger);
  guardPackets(client, logger);

  try {
    await login(client, token, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await client.destroy().catch(() => undefined);
    throw error;
  }
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord: connected');

  let stopped = false;
  return {
    client,
    bot,
    ready: () => !stopped && client.isReady(),
    post: discordPoster(client.rest, actions),
    idle: () => inflight.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      // No new work; finish what was accepted; then leave the gateway.
      for (const unsubscribe of off) unsubscribe();
      await inflight.idle();
      await client.destroy();
    },
  };
}

/** Log in and wait for READY and the guilds; unrecoverable gateway closes become clear errors. */
async function login(client: Client, token: string, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const ready = once(client, Events.ClientReady, { signal: abort.signal });
  const refused = once(client, Events.ShardDisconnect, { signal: abort.signal }).then((args: unknown[]) => {
    throw gatewayRefused((args[0] as { code: number } | undefined)?.code ?? 0);
  });
  ready.catch(() => undefined);
  refused.catch(() => undefined);
  try {
    await client.login(token);
    await Promise.race([ready, refused]);
  } catch (error) {
    if (abort.signal.aborted && !(error instanceof RestyleError)) {
      throw new RestyleError('internal', `Discord: the gateway was not ready within ${timeoutMs / 1000} s`, { retryable: true });
    }
    // @discordjs/ws rejects the login with these when the gateway closes 4014 / 4004.
    if (error instanceof Error && error.message === 'Used disallowed intents') throw gatewayRefused(GatewayCloseCodes.DisallowedIntents);
    if (error instanceof Error && error.message === 'Authentication failed') throw gatewayRefused(GatewayCloseCodes.AuthenticationFailed);
    if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
      throw new RestyleError('env_missing', 'DISCORD_BOT_TOKEN was rejected by Discord: copy the bot token again from the developer portal (Bot → Reset Token)', { cause: error });
    }
    throw error instanceof RestyleError ? error : discordError(error, 'login');
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

function gatewayRefused(code: number): RestyleError {
  if (code === GatewayCloseCodes.DisallowedIntents) {
    return new RestyleError(
      'config_invalid',
      'Discord refused the Message Content intent: enable "Message Content Intent" under Bot → Privileged Gateway Intents in the Discord developer portal (see docs/discord.md)',
    );
  }
  if (code === GatewayCloseCodes.AuthenticationFailed) return new RestyleError('env_missing', 'DISCORD_BOT_TOKEN was rejected by the Discord gateway (4004)');
  return new RestyleError('internal', `the Discord gateway closed the connection (code ${code}: ${GatewayCloseCodes[code] ?? 'unknown'})`);
}

/**
 * discord.js builds its objects from a gateway packet synchronously, inside an async handler of
 * @discordjs/ws: a packet it cannot read (an INTERACTION_CREATE without `data`, a reaction with a null
 * payload, a shape from a newer API) throws there and becomes an unhandled rejection, which ends a Node
 * process. Such a packet is dropped here with one log line instead; everything else is untouched.
 * `handlePacket` is discord.js's private dispatch (v14); if it ever goes away this is a no-op with a warning.
 */
export function guardPackets(client: Client, logger: Logger): void {
  const ws = client.ws as unknown as { handlePacket?: (packet?: unknown, shard?: unknown) => boolean };
  const handle = ws.handlePacket;
  if (typeof handle !== 'function') {
    logger.warn('discord: cannot guard gateway packets (discord.js internals changed); a malformed event may end the process');
    return;
  }
  ws.handlePacket = function guarded(packet?: unknown, shard?: unknown): boolean {
    try {
      return handle.call(this, packet, shard);
    } catch (error) {
      const event = (packet as { t?: unknown } | null | undefined)?.t;
      logger.warn({ event: typeof event === 'string' ? event : null, err: (error as Error).message }, 'discord: malformed gateway event dropped');
      return true;
    }
  };
}

/** discord.js's own news, through our logger (secrets redacted there; the censored-token debug line dropped). */
function watch(client: Client, logger: Logger): void {
  client.on(Events.Error, (error) => logger.error({ err: error.message }, 'discord: client error'));
  client.on(Events.Warn, (message) => logger.warn(`discord.js: ${message}`));
  client.on(Events.ShardDisconnect, (event, shard) => logger.warn({ shard, code: event.code }, 'discord: shard disconnected'));
  client.on(Events.ShardReconnecting, (shard) => logger.info({ shard }, 'discord: shard reconnecting'));
  client.on(Events.ShardResume, (shard, replayed) => logger.info({ shard, replayed }, 'discord: shard resumed'));
  client.rest.on('rateLimited', (info) => logger.warn({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, 'discord: rate limited'));
  if (logger.isLevelEnabled('debug')) {
    client.on(Events.Debug, (message) => {
      if (!/token/i.test(message)) logger.debug(`discord.js: ${message}`);
    });
  }
}
