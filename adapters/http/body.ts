import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { RestyleError } from '../../src/errors.js';

/** Read a JSON body up to `limit` bytes; every failure is a RestyleError with an HTTP status in details. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new RestyleError('input_invalid', 'Content-Type must be application/json', { details: { status: 415 } });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestyleError('input_invalid', `body is not valid JSON: ${(error as Error).message}`, { details: { status: 400 } });
  }
}

function tooLarge(limit: number): RestyleError {
  return new RestyleError('input_invalid', `body is larger than ${limit} bytes`, { details: { status: 413 } });
}

/** A required string field whose message tells a missing value (`required (what)`) from one of another type. */
export function requiredString(what: string): z.ZodString {
  return z.string({ error: (issue) => (issue.input === undefined ? `required (${what})` : `must be ${what}, not ${jsonKind(issue.input)}`) });
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
