import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ProxyToken } from '../../src/config/load.js';

/** The `proxy.tokens` entry whose token the request's bearer is (compared in constant time), if any. */
export function proxyTokenOf(tokens: readonly ProxyToken[], req: IncomingMessage): ProxyToken | undefined {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
  for (const t of tokens) {
    const want = Buffer.from(t.token);
    if (given.length === want.length && timingSafeEqual(given, want)) return t;
  }
  return undefined;
}
