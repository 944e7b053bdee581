import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, SocketModeReceiver, type App, type Receiver } from '@slack/bolt';
import type { HttpMount } from '../../src/bot/platform.js';
import { RestyleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { InFlight } from '../../src/util/inflight.js';
import { boltLogger } from './logger.js';

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
 * HTTP (Bolt's HTTPReceiver, mounted on restyle's shared HTTP server so Slack uses the same PORT; Bolt
 * verifies the signature and rejects stale timestamps with 401) or Socket Mode when an app-level token
 * is set. Either way the app is wrapped so in-flight work is counted.
 */
export function chooseReceiver(options: {
  signingSecret?: string;
  appToken?: string;
  apiUrl: string;
  http?: HttpMount;
  logger: Logger;
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
    return { receiver: tracked(inner, inflight), mode: 'socket', inflight, connected: () => connected };
  }
  if (!options.signingSecret) throw new RestyleError('env_missing', 'SLACK_SIGNING_SECRET is not set: Slack over HTTP needs it (or set SLACK_APP_TOKEN for Socket Mode)');
  if (!options.http) throw new RestyleError('internal', 'slack: HTTP mode needs the shared HTTP server to mount on');
  const inner = new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: EVENTS_PATH, logger, processBeforeResponse: false });
  options.http.mount(EVENTS_PATH, (req: IncomingMessage, res: ServerResponse) => {
    try {
      inner.requestListener(req, res);
    } catch {
      // HTTPReceiver throws for anything but POST /slack/events.
      res.writeHead(req.method === 'POST' ? 404 : 405, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: `Slack events are POST ${EVENTS_PATH}` } }));
    }
  });
  return { receiver: tracked(inner, inflight), mode: 'http', inflight, connected: () => true };
}

/** The receiver sees a stand-in app whose processEvent is counted from the moment it is dispatched. */
function tracked(inner: Receiver, inflight: InFlight): Receiver {
  return {
    init(app: App) {
      const proxy = Object.create(app) as App;
      proxy.processEvent = (event) => inflight.run(() => app.processEvent(event));
      inner.init(proxy);
    },
    start: (...args: unknown[]) => inner.start(...args),
    stop: (...args: unknown[]) => inner.stop(...args),
  };
}
