/**
 * A training sample saved from chat. Two kinds, matching the method:
 * - `styled`: a message already written in the channel's voice (⭐ reaction, "Save as style sample");
 *   the corpus builder de-styles it like any other styled text.
 * - `pair`: an approved (neutral → styled) pair (an edited /restyle preview, 👍 on a restyled reply);
 *   used as-is, no editor call needed.
 */
export type SampleKind = 'styled' | 'pair';
export type SampleStatus = 'pending' | 'approved' | 'rejected';
export type SampleSource = 'reaction' | 'shortcut' | 'preview' | 'edit' | 'feedback' | 'command';

export interface Sample {
  /** Stable id; for message-based samples derived from the message, so repeats collide. */
  id: string;
  kind: SampleKind;
  status: SampleStatus;
  source: SampleSource;
  style: string;
  /** `slack` | `discord` | … */
  platform: string;
  /** Platform-qualified channel key (`slack:C0123`). */
  channel: string;
  /** The source message (platform id), when the sample came from one. */
  messageId?: string;
  /** Who saved it (platform-qualified user key, `slack:U123`). */
  savedBy: string;
  /** Who wrote the text, when known (for `forget` and `--author`). */
  author?: string;
  styled: string;
  neutral?: string;
  params?: Record<string, string>;
  createdAt: string;
  reviewedBy?: string;
  reviewedAt?: string;
}

/** 👍/👎 on a restyled reply, kept for evaluation. */
export interface Feedback {
  id: string;
  verdict: 'up' | 'down';
  style: string;
  model: string | null;
  channel: string;
  messageId: string;
  user: string;
  neutral: string;
  styled: string;
  at: string;
}
