import { createHash } from 'node:crypto';

/** Stable sha256 of strings or JSON-able values, hex. */
export function sha256(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p)).update('\u0000');
  return h.digest('hex');
}
