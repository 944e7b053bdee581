import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HTTPReceiver, SocketModeReceiver, isValidSlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { HttpMount } from '../../src/bot/platform.js';
import { isRestyleError, RestyleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { InFlight } from '../../src/util/inflight.js';
import { boltLogger } from './logger.js';
import { busy, headerRefusal, readBodyWithin, sendRefusal, type Refusal, type SlackLimits } from './body-gate.js';
import { checkSlackRequest, parseSlackBody } from './request-check.js';
import { UnverifiedBudget } from './unverified-budget.js';

/** Bolt's default path for commands, events, interactivity and shortcuts alike. */
export const EVENTS_PATH = '/slack/events';

export interface ReceiverChoice {
  receiver: Receiver;
  mode: 'http' | 'socket';
  /** Every event the receiver handed to the app and the app has not finished. */
  inflight: InFlight;
  /** Socket Mode: whether the socket is connected; HTTP: always true once mounted. */
  connected(): boolean;
}

/**
 * HTTP (Bolt's HTTPReceiver, mounted on restyle's shared HTTP server so Slack uses the same PORT; the
 * signature is checked here, under body limits, before Bolt checks it again) or Socket Mode when an app-level token
 * is set. Either way the app is wrapped so in-flight work is counted.
 */
export function chooseReceiver(options: {
  signingSecret?: string;
  appToken?: string;
  apiUrl: string;
  http?: HttpMount;
  /** Limits on what is read before a request's signature can be checked (config `http.slack`). */
  limits: SlackLimits;
  logger: Logger;
  /**
   * Runs inside ack(), before Slack is answered: where durable work is recorded. What it returns (when
   * not undefined) is the ack's response instead; what it throws fails the request (HTTP 503 when
   * retryable), so Slack sends it again.
   */
  beforeAck?: (body: unknown) => Promise<unknown>;
}): ReceiverChoice {
  const logger = boltLogger(options.logger);
  const inflight = new InFlight();
  if (options.appToken) {
    const inner = new SocketModeReceiver({
      appToken: options.appToken,
      logger,
      installerOptions: { clientOptions: { slackApiUrl: options.apiUrl } },
    });
    let connected = false;
    inner.client.on('connected', () => (connected = true));
    inner.client.on('disconnected', () => (connected = false));
    inner.client.on('reconnecting', () => (connected = false));
    return { receiver: tracked(inner, inflight, options.beforeAck), mode: 'socket', inflight, connected: () => connected };
  }
  if (!options.signingSecret) throw new RestyleError('env_missing', 'SLACK_SIGNING_SECRET is not set: Slack over HTTP needs it (or set SLACK_APP_TOKEN for Socket Mode)');
  if (!options.http) throw new RestyleError('internal', 'slack: HTTP mode needs the shared HTTP server to mount on');
  const signingSecret = options.signingSecret;
  const log = options.logger;
  const gate: Gate = { signingSecret, limits: options.limits, budget: new UnverifiedBudget(options.limits) };
  const inner = new HTTPReceiver({
    signingSecret,
    endpoints: EVENTS_PATH,
    logger,
    processBeforeResponse: false,
    bodyLimit: options.limits.bodyLimitBytes,
    // Bolt answers 500 (which Slack retries) when a payload breaks it before ack(); that is a bad request.
    processEventErrorHandler: async ({ error, response }) => {
      if (response.headersSent) {
        log.error({ err: error.message }, 'slack: a listener failed after ack()');
        return false;
      }
      if ((error as { code?: string }).code === ErrorCode.AuthorizationError) {
        response.writeHead(401).end();
        return true;
      }
      // Work that could not be recorded now (the queue is down): not acknowledged, so Slack sends it again.
      if (isRestyleError(error) && error.retryable) {
        refuse(response, 503, error.code, firstLine(error.message), log);
        return true;
      }
      refuse(response, 400, 'input_invalid', `Slack request could not be processed: ${firstLine(error.message)}`, log);
      return true;
    },
    // Only if nothing answered at all (tracked() answers unhandled requests as soon as the app is done).
    unhandledRequestHandler: ({ request, response }) => {
      if (response.headersSent) return;
      log.warn({ path: request.url }, 'slack: request not acknowledged within 3 s');
      refuse(response, 404, 'not_found', 'no handler acknowledged this Slack request', log);
    },
  });
  options.http.mount(EVENTS_PATH, (req: IncomingMessage, res: ServerResponse) => {
    const dispatch = (): void => {
      try {
        responses.run(res, () => inner.requestListener(req, res));
      } catch {
        // HTTPReceiver throws for anything but POST /slack/events.
        res.writeHead(req.method === 'POST' ? 404 : 405, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'not_found', message: `Slack events are POST ${EVENTS_PATH}` } }));
      }
    };
    if (req.method !== 'POST') return dispatch();
    screen(req, res, gate, log).then(
      (pass) => pass && dispatch(),
      (error: unknown) => {
        log.warn({ err: (error as Error).message }, 'slack: could not read the request');
        if (!res.headersSent) refuse(res, 400, 'input_invalid', 'Slack request could not be read', log);
      },
    );
  });
  return { receiver: tracked(inner, inflight, options.beforeAck), mode: 'http', inflight, connected: () => true };
}

/** The HTTP response of the Slack request being processed (HTTP mode), so an unhandled one is answered at once. */
const responses = new AsyncLocalStorage<ServerResponse>();

/**
 * Refuse what needs no body (missing or stale signature headers, a declared size over the limit), then
 * read the body under the unverified budget and limits, and refuse what Bolt cannot take: 401 when the
 * signature is wrong, as Bolt would; 400 with the reason when it is right but the payload is not one
 * Slack sends. True: hand the request (body attached as `rawBody`, as Bolt takes it) to Bolt.
 */
async function screen(req: IncomingMessage, res: ServerResponse, gate: Gate, logger: Logger): Promise<boolean> {
  const early = headerRefusal(req, gate.limits, Math.floor(Date.now() / 1000));
  if (early) return refuseEarly(req, res, early, logger);
  const admission = gate.budget.admit(req.socket.remoteAddress ?? '');
  if (!admission.ok) return refuseEarly(req, res, busy(admission.reason), logger);
  let rawBody: Buffer;
  try {
    const read = await readBodyWithin(req, gate.limits, admission.ticket);
    if (!read.ok) return refuseEarly(req, res, read.refusal, logger);
    rawBody = read.body;
    const raw = rawBody.toString();
    const headers = { 'x-slack-signature': String(req.headers['x-slack-signature']), 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) };
    if (!isValidSlackRequest({ signingSecret: gate.signingSecret, body: raw, headers })) {
      logger.warn('slack: request refused: bad signature');
      res.writeHead(401).end();
      return false;
    }
  } finally {
    admission.ticket.release();
  }
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
  let problem: string;
  try {
    const check = checkSlackRequest(parseSlackBody(rawBody.toString(), req.headers['content-type']));
    if (check.ok) return true;
    problem = check.problem;
  } catch (error) {
    problem = `the body is not valid JSON or form data (${firstLine((error as Error).message)})`;
  }
  refuse(res, 400, 'input_invalid', `Slack request refused: ${problem}`, logger);
  return false;
}

interface Gate {
  signingSecret: string;
  limits: SlackLimits;
  budget: UnverifiedBudget;
}

function refuseEarly(req: IncomingMessage, res: ServerResponse, refusal: Refusal, logger: Logger): false {
  logger.warn({ status: refusal.status }, `slack: request refused: ${refusal.message}`);
  sendRefusal(req, res, refusal);
  return false;
}

function refuse(res: ServerResponse, status: number, code: string, message: string, logger: Logger): void {
  if (status !== 404) logger.warn({ status }, message);
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}

/** The receiver sees a stand-in app whose processEvent is counted from the moment it is dispatched. */
function tracked(inner: Receiver, inflight: InFlight, beforeAck?: (body: unknown) => Promise<unknown>): Receiver {
  return {
    init(app: App) {
      const proxy = Object.create(app) as App;
      proxy.processEvent = (event) =>
        inflight.run(async () => {
          let acked = false;
          const ack: ReceiverEvent['ack'] = async (response) => {
            const instead = !acked && beforeAck ? await beforeAck(event.body) : undefined;
            acked = true;
            return event.ack((instead ?? response) as typeof response);
          };
          await app.processEvent({ ...event, ack });
          // Every listener has run: nothing will acknowledge it now, so say so instead of letting Slack wait 3 s.
          const res = responses.getStore();
          if (!acked && res && !res.headersSent) {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { code: 'not_found', message: 'restyle has no handler for this Slack request' } }));
          }
        });
      inner.init(proxy);
    },
    start: (...args: unknown[]) => inner.start(...args),
    stop: (...args: unknown[]) => inner.stop(...args),
  };
}
