import { ACTION_ID } from './render.js';

/** A press of one of our buttons, read from a `block_actions` body (its first action). */
export interface ButtonPress {
  user: string;
  /** The channel the pressed message is in ('' when the body names none). */
  channel: string;
  thread?: string;
  /** `restyle` (a preview's buttons) or `review` (a review card's). */
  prefix: string;
  /** `post`, `edit`, `save`, `discard`, `approve` or `reject`. */
  action: string;
  /** The button's value: the preview or sample id. */
  value: string;
  /** One press is one job: a redelivered interaction carries the same trigger_id, a second press its own. */
  press: string;
  responseUrl?: string;
}

/** The press a body carries, or null for any other request (or a button that is not ours, or has no value). */
export function readButtonPress(body: unknown): ButtonPress | null {
  const b = body as {
    type?: unknown;
    user?: { id?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown; thread_ts?: unknown };
    trigger_id?: unknown;
    response_url?: unknown;
    actions?: Array<{ action_id?: unknown; value?: unknown; action_ts?: unknown }>;
  } | null;
  if (b?.type !== 'block_actions' || typeof b.user?.id !== 'string') return null;
  const action = b.actions?.[0];
  const match = typeof action?.action_id === 'string' ? ACTION_ID.exec(action.action_id) : null;
  if (!match || typeof action?.value !== 'string' || action.value === '') return null;
  const channel = typeof b.channel?.id === 'string' ? b.channel.id : typeof b.container?.channel_id === 'string' ? b.container.channel_id : '';
  return {
    user: b.user.id,
    channel,
    ...(typeof b.container?.thread_ts === 'string' ? { thread: b.container.thread_ts } : {}),
    prefix: match[1]!,
    action: match[2]!,
    value: action.value,
    press: typeof b.trigger_id === 'string' ? b.trigger_id : String(action.action_ts ?? ''),
    ...(typeof b.response_url === 'string' ? { responseUrl: b.response_url } : {}),
  };
}
