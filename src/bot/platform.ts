import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../app.js';
import type { Settings } from '../config/load.js';
import type { PostJob } from './types.js';
import type { JobQueue } from '../queue/types.js';

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
  /**
   * Post without starting the platform (no gateway, no event intake): how a `web` process serves
   * `POST /v1/post` for a platform whose connection lives in a `worker`. Optional.
   */
  poster?(ctx: AppContext): NonNullable<RunningPlatform['post']>;
  /** Throw `input_invalid` (field named) for a channel or thread this platform can't have: checked before the model is paid. */
  checkPost?(message: Pick<OutgoingMessage, 'channel' | 'thread'>): void;
  /**
   * The `jobs` role where this platform's intake runs elsewhere: register its job handlers on `queue` with
   * only its Web/REST API client (no receiver, no gateway). Calls the same registration function `start`
   * uses, so a new job kind is added in one place. Optional: a platform without one has no jobs.
   */
  jobs?(ctx: AppContext, queue: JobQueue): Promise<PlatformJobs>;
}

/** A platform's job handlers running without its intake (`ChatPlatform.jobs`). */
export interface PlatformJobs {
  /** Posts for `POST /v1/post` jobs to this platform's channels. */
  post?: NonNullable<RunningPlatform['post']>;
  stop(): Promise<void>;
}

export interface RunningPlatform {
  /** Connected and able to post (for /readyz). */
  ready(): boolean;
  stop(): Promise<void>;
  /**
   * Post text that is final (already styled: the platform must not restyle it) to one of its channels,
   * for `POST /v1/post`. Resolves only once the platform's API accepted the message. Fails with a
   * RestyleError: `input_invalid` (malformed channel or thread, field named), `platform_refused` (the
   * platform said no to this post, its own error code in the message), `platform_unavailable` (not
   * answering, rate limited) or `platform_error` (our credentials or anything else).
   */
  post?(message: OutgoingMessage): Promise<PostedMessage>;
}

/** A message for `RunningPlatform.post`. */
export interface OutgoingMessage {
  /** Platform-qualified channel key: `slack:C0123ABC`, `discord:112233445566778899`. */
  channel: string;
  text: string;
  /** Where in the channel: the parent message's ts (Slack), a thread of the channel (Discord). */
  thread?: string;
  /** The neutral text it was styled from: posts can never ping more than it did; Slack metadata names the style. */
  origin?: { style: string | null; model: string | null; neutral: string };
  /** The durable job posting it (`PostOptions.job`): a rerun finds its earlier post instead of posting again. */
  job?: PostJob;
}

export interface PostedMessage {
  /** The message's platform id (Slack ts, Discord message id); the first part's when the text was split. */
  id: string;
  /** Every message the text was split into (the platform's length limit), in order. */
  ids: string[];
}

/** Lets a platform serve routes on the shared HTTP port (Slack's `POST /slack/events`). */
export interface HttpMount {
  mount(pathPrefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}
