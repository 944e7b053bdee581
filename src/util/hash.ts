import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/** `crypto.hash` (Node ≥20.12) hashes a string in one call, about twice as fast as createHash for short text. */
const oneShot: typeof crypto.hash | undefined = (crypto as Partial<typeof crypto>).hash;

/** sha256 of one string (UTF-8): the same digest `createHash('sha256').update(text).digest(encoding)` gives. */
export function sha256Of(text: string, encoding: 'hex' | 'base64' = 'hex'): string {
  return oneShot ? oneShot('sha256', text, encoding) : createHash('sha256').update(text).digest(encoding);
}

/** Stable sha256 of strings or JSON-able values, hex. */
export function sha256(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p)).update('\u0000');
  return h.digest('hex');
}
