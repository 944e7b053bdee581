import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { RestyleError } from '../errors.js';
import { KeyvNamespace, validTtl, type Backend, type RawWriter } from './keyv-namespace.js';
import { RedisSampleIndex, type RedisClient } from './redis-sample-index.js';
import type { Namespace, NamespaceName, SampleIndexOpen, Store } from './types.js';
import { redactRedisUrl } from './redis-url.js';

const PREFIX = 'restyle';
/** Claims live beside the namespaces, as plain strings Keyv never reads. */
const CLAIM_PREFIX = `${PREFIX}:claim:`;

export interface RedisStoreOptions {
  url: string;
  /** Bounds opening the store (and each reconnect attempt). */
  connectTimeoutMs: number;
  /** Bounds every command, so a hung (not closed) Redis fails too; default max(5 s, connectTimeoutMs). */
  commandTimeoutMs?: number;
  /** Whether samples written before the index existed are indexed on open (default), and testing knobs. */
  migration?: SampleIndexOpen;
}

export { redactRedisUrl };

/**
 * Redis, configured to fail fast. By default @keyv/redis queues commands forever while Redis is down, and
 * with only `disableOfflineQueue` its `set` resolves `true` while nothing is written; so the offline queue
 * is off, KeyvRedis and Keyv throw, connecting and every command have a timeout. The client keeps
 * reconnecting in the background (bounded backoff), so the store recovers by itself when Redis is back.
 */
export async function openRedisStore(options: RedisStoreOptions): Promise<Store> {
  const { url, connectTimeoutMs } = options;
  const { shown, toError } = errorsFor(url);
  // node-redis's own command timeout only covers waiting to be written, not the reply: a Redis that
  // accepts connections but does not answer (stopped, swapping, partitioned) needs a deadline of ours.
  const commandTimeoutMs = options.commandTimeoutMs ?? Math.max(5_000, connectTimeoutMs);
  let closed = false;
  const backend: Backend = {
    async run(op) {
      if (closed) throw new RestyleError('store_unavailable', `the Redis store at REDIS_URL (${shown}) is closed`);
      try {
        return await within(op(), commandTimeoutMs, () => new NoAnswer(`no answer within ${commandTimeoutMs} ms`));
      } catch (error) {
        throw toError(error);
      }
    },
  };
  const { client, destroy } = await connect(url, connectTimeoutMs);
  const sampleIndex = new RedisSampleIndex(client, (op) => backend.run(op), `${PREFIX}:samples:`, `${PREFIX}:idx:samples:`, `REDIS_URL (${shown})`, options.migration);
  try {
    // Unbounded on purpose: a large store takes a while, and each step is saved, so a crash loses little.
    await sampleIndex.open();
  } catch (error) {
    destroy();
    throw toError(error);
  }
  const ns = namespaces(client, backend, connectTimeoutMs, sampleIndex);
  return {
    kind: 'redis',
    redisClient: client,
    location: shown,
    sampleIndex,
    ns,
    async claim(key, ttlMs) {
      const reply = await backend.run(async () => client.set(`${CLAIM_PREFIX}${key}`, '1', { NX: true, PX: validTtl(ttlMs) }));
      return reply === 'OK';
    },
    async release(key) {
      await backend.run(() => client.del(`${CLAIM_PREFIX}${key}`));
    },
    async ping() {
      await backend.run(() => client.ping());
    },
    async close() {
      if (closed) return;
      closed = true;
      // close() waits for pending replies, which a hung Redis never sends.
      await within(client.close(), connectTimeoutMs, () => new Error('close timed out')).catch(destroy);
    },
  };
}

/** How Redis failures read: one line naming REDIS_URL with its password redacted. */
function errorsFor(url: string): { shown: string; redact: (text: string) => string; toError: (error: unknown) => RestyleError } {
  const shown = redactRedisUrl(url);
  const secret = passwordOf(url);
  const redact = (text: string): string => {
    const out = text.split(url).join(shown);
    return secret.length >= 3 ? out.split(secret).join('***') : out;
  };
  const toError = (error: unknown): RestyleError => {
    if (error instanceof RestyleError) return error;
    const code = classify(error);
    const what = code === 'store_unavailable' ? 'is unavailable' : 'failed';
    return new RestyleError(code, `Redis at REDIS_URL (${shown}) ${what}: ${redact(reasonOf(error))}`, {
      cause: error,
      retryable: code === 'store_unavailable',
      // The command may have reached Redis and been applied: a write's caller should read it back.
      ...(outcomeUnknown(error) ? { details: { outcomeUnknown: true } } : {}),
    });
  };
  return { shown, redact, toError };
}

/** A connected client, or a RestyleError naming REDIS_URL; `destroy` drops it without waiting. */
async function connect(url: string, connectTimeoutMs: number): Promise<{ client: RedisClient; destroy: () => void }> {
  const { shown, redact, toError } = errorsFor(url);
  let client: RedisClient;
  try {
    client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        // Never gives up (an Error or false would close the client for good), never waits more than 2 s.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
      },
    });
  } catch (error) {
    throw new RestyleError('config_invalid', `REDIS_URL (${shown}) is not a usable Redis URL: ${redact(reasonOf(error))}`, {
      cause: error,
      details: { field: 'REDIS_URL' },
    });
  }
  // Failures surface as rejected calls; an unhandled 'error' event would crash the process instead.
  let lastError: unknown;
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  // One KeyvRedis per namespace, each adding 4 listeners to the shared client: 10 namespaces trip Node's
  // default limit of 10 and print a leak warning that is not one.
  client.setMaxListeners(64);
  const destroy = (): void => {
    try {
      client.destroy();
    } catch {
      // already closed
    }
  };
  // node-redis's connect() retries forever by the reconnect strategy: the deadline is ours to set.
  try {
    await within(client.connect(), connectTimeoutMs, () => {
      const last = lastError === undefined ? '' : ` (${reasonOf(lastError)})`;
      return new Error(`no connection within ${connectTimeoutMs} ms${last}`);
    });
  } catch (error) {
    destroy();
    throw toError(error);
  }
  return { client, destroy };
}

/** `store.ns`: one Keyv per namespace over the shared client; samples write through their index. */
function namespaces(client: RedisClient, backend: Backend, connectTimeoutMs: number, sampleIndex: RedisSampleIndex): Store['ns'] {
  const made = new Map<NamespaceName, Namespace<unknown>>();
  const samplesWriter: RawWriter = {
    set: async (key, raw, ttlMs) => void (await sampleIndex.write('set', key, raw, ttlMs)),
    delete: async (key) => (await sampleIndex.write('del', key)) > 0,
  };
  return <T>(name: NamespaceName): Namespace<T> => {
    let ns = made.get(name);
    if (!ns) {
      const namespace = `${PREFIX}:${name}`;
      const adapter = new KeyvRedis<unknown>(client, {
        namespace,
        keyPrefixSeparator: ':', // keys are `restyle:<ns>:<key>`
        throwOnConnectError: true,
        throwOnErrors: true,
        connectionTimeout: connectTimeoutMs,
      });
      // KeyvRedis prefixes keys itself; Keyv's own prefixing would double it.
      const keyv = new Keyv({ store: adapter, namespace, useKeyPrefix: false, throwOnErrors: true });
      keyv.on('error', () => {}); // rethrown to the caller (throwOnErrors); the event is noise
      const writer = name === 'samples' ? samplesWriter : undefined;
      ns = new KeyvNamespace<unknown>(keyv, backend, () => adapter.iterator<string>(namespace), undefined, writer);
      made.set(name, ns);
    }
    return ns as Namespace<T>;
  };
}

/** Resolves or rejects like `promise`, or rejects with `timeout()` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Our deadline on a command passed: Redis may still apply it. */
class NoAnswer extends Error {}

/** Whether a failed command may still have been applied (sent, then no answer or the connection dropped). */
export function outcomeUnknown(error: unknown): boolean {
  const name = error instanceof Error ? error.constructor.name : '';
  if (error instanceof NoAnswer || name === 'SocketClosedUnexpectedlyError' || name === 'SocketTimeoutError' || name === 'TimeoutError') return true;
  // The socket failed under sent commands (ECONNRESET, EPIPE… as Redis goes down): node-redis rejects every
  // command awaiting a reply with Node's own error, and Redis may have applied them. Only a failed connect
  // (nothing was sent on it) or a client that refused to send (offline, closed) surely applied nothing.
  const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
  return typeof syscall === 'string' && syscall !== 'connect';
}

/** Redis refusing a command (wrong type, out of memory…) is an error; anything about reaching it is not. */
function classify(error: unknown): 'store_unavailable' | 'store_error' {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return 'store_error'; // (de)serialization
  const name = error instanceof Error ? error.constructor.name : '';
  if (name === 'ErrorReply' || name === 'SimpleError' || name === 'BlobError') {
    // Replies that mean "not now" rather than "never".
    return /^(LOADING|MASTERDOWN|READONLY|NOAUTH|WRONGPASS|BUSY|TRYAGAIN|CLUSTERDOWN)\b/.test((error as Error).message)
      ? 'store_unavailable'
      : 'store_error';
  }
  return 'store_unavailable';
}

/** One line, never empty (Node's connect errors can be an AggregateError with no message). */
function reasonOf(error: unknown): string {
  const reason =
    error instanceof AggregateError && !error.message
      ? error.errors.map(reasonOf).join('; ')
      : error instanceof Error
        ? error.message || String((error as NodeJS.ErrnoException).code ?? error.name)
        : String(error);
  return reason.replace(/\s+/g, ' ').trim() || 'unknown error';
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
