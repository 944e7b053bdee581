import { createClient, createKeyv } from '@keyv/redis';
import type Keyv from 'keyv';
import { RestyleError } from '../errors.js';
import { KeyvNamespace } from './keyv-namespace.js';
import type { Namespace, NamespaceName, Store } from './types.js';

const PREFIX = 'restyle';

/** `redis://:secret@host` → `redis://:***@host`, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * Redis, configured to fail fast: @keyv/redis by default queues commands forever while Redis is down,
 * so the offline queue is off, errors are thrown, and connecting has a timeout. The client keeps
 * reconnecting in the background, so the store recovers by itself when Redis comes back.
 */
export async function openRedisStore(url: string, connectTimeoutMs: number): Promise<Store> {
  const shown = redactRedisUrl(url);
  const fail = (error: unknown): RestyleError => {
    const reason = error instanceof Error ? error.message : String(error);
    return new RestyleError('store_unavailable', `Redis at REDIS_URL (${shown}) is unavailable: ${reason.split(url).join(shown)}`, {
      cause: error,
      retryable: true,
    });
  };
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
  client.on('error', () => {}); // every command rejects instead; an unhandled 'error' event would crash
  const connectTimer = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    t.unref();
  });
  try {
    await Promise.race([client.connect(), connectTimer]);
  } catch (error) {
    client.destroy();
    throw fail(error);
  }
  const namespaces = new Map<string, Namespace<unknown>>();
  const guard = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!client.isReady) return Promise.reject(fail(new Error('not connected')));
    return fn().catch((error: unknown) => {
      throw fail(error);
    });
  };

  return {
    kind: 'redis',
    location: shown,
    ns<T>(name: NamespaceName): Namespace<T> {
      let ns = namespaces.get(name);
      if (!ns) {
        const namespace = `${PREFIX}:${name}`;
        const keyv = createKeyv(client as never, {
          namespace,
          throwOnConnectError: true,
          throwOnErrors: true,
          connectionTimeout: connectTimeoutMs,
        }) as Keyv<unknown>;
        keyv.throwOnErrors = true;
        keyv.on('error', () => {});
        const prefix = `${namespace}::`;
        ns = new KeyvNamespace<unknown>(
          {
            get: (k: string) => guard(() => keyv.get(k)),
            set: (k: string, v: unknown, ttl?: number) => guard(() => keyv.set(k, v, ttl)),
            delete: (k: string) => guard(() => keyv.delete(k)),
          } as unknown as Keyv<unknown>,
          fail,
          async function* scan() {
            if (!client.isReady) throw new Error('not connected');
            for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
              for (const key of Array.isArray(keys) ? keys : [keys]) yield String(key).slice(prefix.length);
            }
          },
        );
        namespaces.set(name, ns);
      }
      return ns as Namespace<T>;
    },
    async claim(key, ttlMs) {
      const reply = await guard(() => client.set(`${PREFIX}:claim:${key}`, '1', { NX: true, PX: Math.max(1, Math.round(ttlMs)) }));
      return reply === 'OK';
    },
    async release(key) {
      await guard(() => client.del(`${PREFIX}:claim:${key}`));
    },
    async ping() {
      await guard(() => client.ping());
    },
    async close() {
      if (client.isOpen) await client.close().catch(() => client.destroy());
      else client.destroy();
    },
  };
}
