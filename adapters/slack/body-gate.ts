import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpSettings } from '../../src/config/schema.js';
import type { BudgetTicket } from './unverified-budget.js';

export type SlackLimits = HttpSettings['slack'];

/** Why a Slack request is refused before Bolt sees it, as the HTTP answer to give. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Seconds, for 503. */
  retryAfter?: number;
}

const SIGNATURE = /^v0=[0-9a-f]{64}$/i;

/**
 * What can be refused from the headers alone, before one byte of the body is read: Slack signs every
 * request (X-Slack-Signature, X-Slack-Request-Timestamp) and never sends a body over the limit, and a
 * timestamp more than `maxClockSkewSeconds` from now either way could only be a replay or a forgery.
 */
export function headerRefusal(req: IncomingMessage, limits: SlackLimits, nowSeconds: number): Refusal | undefined {
  const signature = req.headers['x-slack-signature'];
  const timestamp = req.headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return unauthorized('X-Slack-Signature is missing or not a v0 signature');
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return unauthorized('X-Slack-Request-Timestamp is missing or not a number');
  if (Math.abs(nowSeconds - Number(timestamp)) > limits.maxClockSkewSeconds) return unauthorized(`X-Slack-Request-Timestamp is more than ${limits.maxClockSkewSeconds} s from now`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.bodyLimitBytes) return tooLarge(limits);
  return undefined;
}

/**
 * Read the body against the limits as it arrives: refused past `bodyLimitBytes`, past the budget's byte
 * cap, or when it is not complete within `bodyTimeoutMs` (a slow sender holds nothing for long).
 */
export function readBodyWithin(req: IncomingMessage, limits: SlackLimits, ticket: BudgetTicket): Promise<{ ok: true; body: Buffer } | { ok: false; refusal: Refusal }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: { ok: true; body: Buffer } | { ok: false; refusal: Refusal }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onFail).off('close', onClose);
      chunks.length = 0;
      resolve(result);
    };
    const fail = (refusal: Refusal): void => finish({ ok: false, refusal });
    const timer = setTimeout(() => fail({ status: 408, code: 'request_timeout', message: `Slack request body was not received within ${limits.bodyTimeoutMs} ms` }), limits.bodyTimeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.bodyLimitBytes) return fail(tooLarge(limits));
      if (!ticket.grow(chunk.length)) return fail(busy('unverified Slack requests hold too many bytes right now'));
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks, size);
      finish({ ok: true, body });
    };
    const onFail = (): void => fail({ status: 400, code: 'input_invalid', message: 'Slack request could not be read' });
    const onClose = (): void => {
      if (!req.complete) onFail();
    };
    req.on('data', onData).on('end', onEnd).on('error', onFail).on('close', onClose);
  });
}

/**
 * Answer a refusal and, when the body has not all arrived, drop the connection once the answer is out:
 * the sender may not keep the socket (and Node's reader) busy with a body nobody will read.
 */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) {
    if (!req.complete) req.socket.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', connection: 'close' };
  if (refusal.retryAfter !== undefined) headers['retry-after'] = String(refusal.retryAfter);
  res.writeHead(refusal.status, headers);
  res.end(JSON.stringify({ error: { code: refusal.code, message: refusal.message } }), () => {
    if (!req.complete) req.socket.destroy();
  });
}

export function busy(message: string): Refusal {
  return { status: 503, code: 'overloaded', message, retryAfter: 1 };
}

function unauthorized(message: string): Refusal {
  return { status: 401, code: 'permission_denied', message };
}

function tooLarge(limits: SlackLimits): Refusal {
  return { status: 413, code: 'text_too_long', message: `Slack request body is larger than ${limits.bodyLimitBytes} bytes` };
}
