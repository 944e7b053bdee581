/**
 * The neutral interface between chat platforms and restyle's use cases. An adapter (adapters/slack,
 * adapters/discord) turns a platform event into one of these inputs, calls the use case, and renders the
 * neutral `Reply` it gets back with the platform's own widgets (Block Kit, Discord components). Use cases
 * reach the platform only through `ChatActions`. Nothing here knows which platform it serves.
 */

/** Who did something. `key` is platform-qualified (`slack:U123`, `discord:998877`). */
export interface Actor {
  key: string;
  platform: string;
  id: string;
  name?: string;
  /** Workspace admin/owner (Slack) or Manage Server (Discord), as the platform reports it. */
  isPlatformAdmin?: boolean;
  /** Discord role ids, for role-based permissions. */
  roles?: readonly string[];
}

/** Where it happened. `key` is platform-qualified (`slack:C0123`, `discord:1122…`). */
export interface Place {
  key: string;
  platform: string;
  channelId: string;
  /** Thread parent (Slack thread_ts / Discord thread) to reply in, if any. */
  thread?: string;
  isDirect?: boolean;
}

/** A message already in the channel (for reactions, shortcuts, context menus). */
export interface MessageRef {
  place: Place;
  messageId: string;
  text: string;
  author?: string;
  /** Set when the bot posted it (its origin: style, model, neutral text hash). */
  fromBot?: boolean;
}

/** What the adapter renders. Buttons carry `action` + `id`; the adapter routes presses back. */
export type Reply =
  | { kind: 'text'; text: string; ephemeral: boolean }
  | {
      kind: 'preview';
      id: string;
      style: string;
      neutral: string;
      styled: string;
      styledOk: boolean;
      note?: string;
      actions: readonly PreviewAction[];
    }
  | { kind: 'review'; id: string; style: string; channel: string; styled: string; neutral?: string; savedBy: string; remaining: number; /** the previous verdict, e.g. "Approved." */ note?: string }
  | { kind: 'done'; text: string; ephemeral: boolean; /** replace the message the button was on */ replace: boolean }
  /** Open an editor (Slack modal, Discord modal) on a preview's styled text; submitting calls `Bot.submitEdit`. */
  | { kind: 'edit'; id: string; style: string; styled: string };

export type PreviewAction = 'post' | 'edit' | 'save' | 'discard';
export type ReviewAction = 'approve' | 'reject';

export interface PostOptions {
  thread?: string;
  /** Origin of a restyled post, stored so 👍/👎 can find the neutral text later. */
  origin?: { style: string | null; model: string | null; neutral: string };
  /** Posted on behalf of this user ("… — posted by @ana"). */
  onBehalfOf?: Actor;
  /**
   * The asking human's words: only users mentioned live there may be pinged (and broadcasts, in a channel
   * that allows them). Default: `origin.neutral`, else the text itself.
   */
  asked?: string;
  /** The text is Markdown (an answer model's): platforms that do not render it convert it. */
  markdown?: boolean;
  /**
   * The durable job posting this: Slack tags each message with its id (metadata), Discord sends a nonce
   * made from it. `since` (the job's creation, epoch ms) marks a rerun: look for the job's posts first.
   */
  job?: PostJob;
}

export interface PostJob {
  id: string;
  since?: number;
}

/** The few things use cases ask a platform to do. */
export interface ChatActions {
  /** Post text (already styled) to a channel; the adapter splits it within the platform's limits and
   * blocks mass mentions the original did not have. Returns the id of every message posted. */
  post(place: Place, text: string, options?: PostOptions): Promise<string[]>;
  /** Acknowledge with a reaction (or the platform's equivalent). Best effort. */
  react?(place: Place, messageId: string, emoji: string): Promise<void>;
  /**
   * A reply that grows while it is written (Slack chat streaming or post + updates; Discord post + edits),
   * paced within the platform's rate limits and continued in a new message at its length limit.
   */
  openStream?(place: Place, options: StreamReplyOptions): ReplyStream;
  /** Show that an answer is being written (Slack assistant thread status, Discord typing). Best effort. */
  showWorking?(place: Place, thread: string | undefined): Promise<void>;
}

export interface StreamReplyOptions {
  thread?: string;
  /** Who asked (Slack streams to a recipient outside DMs). */
  recipient?: Actor;
  /** The asking human's words: only users mentioned live there may be pinged, as in `PostOptions.asked`. */
  asked?: string;
  origin?: PostOptions['origin'];
  /** The durable job answering: its messages are tagged with its id where the platform allows. */
  job?: PostJob;
  /** Called (and awaited) with each new message's id as soon as it exists, so a job can record it before going on. */
  started?(id: string): Promise<void>;
  /** Messages an earlier attempt of the job began: the reply is written into these (edited) before posting new ones. */
  resume?: readonly string[];
}

export interface ReplyStream {
  /** Add text to what is shown; resolves when accepted (shown soon, within the pace), not when posted. */
  append(text: string): Promise<void>;
  /** Show everything appended and end; the ids of every message the reply used. Throws when the text could not be posted. */
  finish(): Promise<string[]>;
}
