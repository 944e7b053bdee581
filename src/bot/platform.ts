import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../app.js';
import type { Settings } from '../config/load.js';

/**
 * A chat platform plugged into the `restyle bot` process. Platforms live in `adapters/<platform>/`;
 * the core only sees this interface, so adding one is a new folder, not an `if`.
 */
export interface ChatPlatform {
  readonly name: string;
  /** True when the environment has what the platform needs (tokens). */
  enabled(settings: Settings): boolean;
  /** Which environment variables would enable it, for the start-up log line. */
  readonly enableHint: string;
  start(ctx: AppContext, http: HttpMount): Promise<RunningPlatform>;
}

export interface RunningPlatform {
  /** Connected and able to post (for /readyz). */
  ready(): boolean;
  stop(): Promise<void>;
}

/** Lets a platform serve routes on the shared HTTP port (Slack's `POST /slack/events`). */
export interface HttpMount {
  mount(pathPrefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}
