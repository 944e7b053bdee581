import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Settings } from '../../src/config/load.js';
import { RestyleError } from '../../src/errors.js';

/** A connection from this machine: 127.0.0.0/8 or ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** A Host header naming this machine: localhost, 127.x.x.x or [::1], with an optional port. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** Whether the request carries `Authorization: Bearer <one of tokens>` (compared in constant time). */
export function bearerMatches(req: IncomingMessage, tokens: ReadonlyArray<string | undefined>): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
  let ok = false;
  for (const token of tokens) {
    if (!token) continue;
    const b = Buffer.from(token);
    if (given.length === b.length && timingSafeEqual(given, b)) ok = true;
  }
  return ok;
}

/**
 * Who may read what on restyle's own routes, beyond the `/v1/*` token check:
 * - Without RESTYLE_API_TOKEN the API is for this machine, so a connection from this machine must also
 *   be addressed to it (Host: localhost, 127.x, [::1]): a page on another origin that rebinds its DNS
 *   name to 127.0.0.1 reaches the port, but not with a loopback Host. (Connections from elsewhere are
 *   refused by the /v1/* token check as before.)
 * - With a token (or RESTYLE_METRICS_TOKEN), /metrics needs one of them unless `http.publicMetrics`;
 *   /readyz tells unauthenticated callers only whether it is ready, not what it checks.
 */
export function routeAccess(settings: Pick<Settings, 'http'>) {
  const { apiToken, metricsToken, publicMetrics } = settings.http;
  const metricsLocked = !publicMetrics && Boolean(apiToken || metricsToken);
  return {
    /** Throws unless the request may reach `path` (one of restyle's own routes, not a platform's mount). */
    check(req: IncomingMessage, path: string): void {
      if (path === '/healthz') return;
      if (path === '/metrics') {
        if (publicMetrics) return;
        if (metricsLocked) {
          if (bearerMatches(req, [metricsToken, apiToken])) return;
          throw new RestyleError('permission_denied', 'GET /metrics needs a bearer token (RESTYLE_METRICS_TOKEN or RESTYLE_API_TOKEN), or http.publicMetrics: true in the config', {
            details: { status: 401 },
          });
        }
      }
      if (!apiToken && isLoopback(req.socket.remoteAddress) && !isLoopbackHost(req.headers.host)) {
        throw new RestyleError(
          'permission_denied',
          'RESTYLE_API_TOKEN is not set, so restyle answers only requests addressed to this machine (Host: localhost, 127.0.0.1 or [::1]); set it to call from elsewhere',
          { details: { status: 403 } },
        );
      }
    },
    /** Whether /readyz may name its checks to this caller. */
    detailsAllowed(req: IncomingMessage): boolean {
      return !apiToken || bearerMatches(req, [apiToken, metricsToken]);
    },
  };
}
