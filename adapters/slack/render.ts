import type { Reply } from '../../src/bot/types.js';
import { channelRef, mentionKey } from './convert.js';

/** Slack's limit for one section block's text. */
export const SECTION_LIMIT = 3000;
/** plain_text_input accepts at most this many characters (the Edit modal). */
export const INPUT_LIMIT = 3000;

/** Button action ids: `<kind>_<action>`, the value is the preview or sample id. */
export const ACTION_ID = /^(restyle|review)_(post|edit|save|discard|approve|reject)$/;
export const EDIT_CALLBACK = 'restyle_edit';
export const EDIT_BLOCK = 'styled';
export const EDIT_INPUT = 'text';

type Block = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

type PreviewReply = Extract<Reply, { kind: 'preview' }>;
type ReviewReply = Extract<Reply, { kind: 'review' }>;
type EditReply = Extract<Reply, { kind: 'edit' }>;

const LABELS: Record<string, string> = { post: 'Post', edit: 'Edit', save: 'Save', discard: 'Discard', approve: 'Approve', reject: 'Reject' };

/** A /restyle preview: the styled text, what style made it, and Post / Edit / Save / Discard. */
export function previewMessage(reply: PreviewReply): SlackMessage {
  const context = [`Style \`${reply.style}\` · only you can see this preview`];
  if (reply.note) context.push(reply.note);
  return {
    text: reply.styled,
    blocks: [
      section(clip(reply.styled)),
      { type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: clip(t) })) },
      {
        type: 'actions',
        block_id: 'restyle_preview',
        elements: reply.actions.map((a) => button(`restyle_${a}`, LABELS[a]!, reply.id, a === 'post' ? 'primary' : undefined)),
      },
    ],
  };
}

/** A sample waiting for review, with Approve / Reject. */
export function reviewMessage(reply: ReviewReply): SlackMessage {
  const head = `${reply.note ? `${reply.note} ` : ''}Sample for style \`${reply.style}\` from ${channelRef(reply.channel)}, saved by ${mentionKey(reply.savedBy)} (${reply.remaining} waiting):`;
  const blocks: Block[] = [section(clip(head)), section(clip(quote(reply.styled)))];
  if (reply.neutral !== undefined) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`Neutral: ${reply.neutral}`) }] });
  blocks.push({
    type: 'actions',
    block_id: 'restyle_review',
    elements: [button('review_approve', 'Approve', reply.id, 'primary'), button('review_reject', 'Reject', reply.id, 'danger')],
  });
  return { text: head, blocks };
}

/** The Edit modal; `meta` travels in private_metadata to the submission. */
export function editModal(reply: EditReply, meta: { id: string; responseUrl?: string; channel: string }): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: EDIT_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Edit before posting' },
    submit: { type: 'plain_text', text: 'Post' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: EDIT_BLOCK,
        label: { type: 'plain_text', text: `Styled text (${reply.style})` },
        element: { type: 'plain_text_input', action_id: EDIT_INPUT, multiline: true, initial_value: reply.styled, max_length: INPUT_LIMIT },
        hint: { type: 'plain_text', text: 'Posting also saves your version as a training sample for this style.' },
      },
    ],
  };
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): Block {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, value, ...(style ? { style } : {}) };
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `>${l}`)
    .join('\n');
}

/** Keep within one section; Post always sends the full text. */
function clip(text: string): string {
  return text.length <= SECTION_LIMIT ? text : `${text.slice(0, SECTION_LIMIT - 40)}… (${text.length} characters in all)`;
}
