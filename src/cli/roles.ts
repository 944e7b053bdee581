import { RestyleError } from '../errors.js';

/**
 * What a `restyle bot` process can run, alone or together (`--only web,jobs`): `web` = the HTTP port (API,
 * Slack events: acked and enqueued), `gateway` = the Discord gateway (events in), `jobs` = the queue's workers
 * (answers and posts out, for every enabled platform, through its Web/REST API). No `--only`: all three.
 */
export const ROLES = ['web', 'gateway', 'jobs'] as const;
export type Role = (typeof ROLES)[number];

/** `--only web,jobs` → the roles; a clear usage error for anything else (the old `worker` included). */
export function parseRoles(text: string): Role[] {
  const names = text.split(',').map((n) => n.trim());
  const roles: Role[] = [];
  for (const name of names) {
    if (name === 'worker') {
      throw new RestyleError('usage', '--only worker was renamed: use --only gateway for the Discord gateway; `worker` in the Procfile now runs --only jobs (the queue workers)');
    }
    if (!(ROLES as readonly string[]).includes(name)) throw new RestyleError('usage', `--only ${text}: "${name}" is not a role; expected web, gateway or jobs (comma-separated, e.g. web,jobs)`);
    if (!roles.includes(name as Role)) roles.push(name as Role);
  }
  return roles;
}
