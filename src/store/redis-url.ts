/** `redis://:secret@host` → `redis://:***@host`, for messages and logs (apart from the Redis client, which loads slowly). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.slice(0, auth.indexOf(':'))}:***` : '***'}@`);
}
