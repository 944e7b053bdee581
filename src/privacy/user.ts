import { RestyleError } from '../errors.js';

/**
 * Who to forget: a platform-qualified key (`slack:U0123`, `discord:1122…`) matches that user only; a bare
 * id (`U0123`) matches it on any platform, as `corpus build --author` does.
 */
export function userMatcher(user: string): (key: string | undefined) => boolean {
  const id = user.trim();
  if (id === '' || /\s/.test(id)) throw new RestyleError('usage', `--user "${user}": expected a user id such as slack:U0123ABC or discord:112233445566778899`);
  if (id.includes(':')) return (key) => key === id;
  return (key) => key === id || (key?.endsWith(`:${id}`) ?? false);
}
