import { ButtonStyle, ComponentType, TextInputStyle, type APIActionRowComponent, type APIButtonComponent, type APIModalInteractionResponseCallbackData } from 'discord.js';
import type { Reply } from '../../src/bot/types.js';
import { channelMention, userMention } from './convert.js';

/** Discord's limit for a message's content. */
export const MESSAGE_LIMIT = 2000;
/** A modal text input takes at most this many characters. */
export const INPUT_LIMIT = 4000;

/** Buttons: `restyle:<action>:<id>` (preview id or sample id; Discord allows 100 characters). */
export const BUTTON_ID = /^restyle:(post|edit|save|discard|approve|reject):(.+)$/;
/** The Edit modal: `restyle_edit:<preview id>`, its text input `text`. */
export const EDIT_MODAL_PREFIX = 'restyle_edit:';
export const EDIT_INPUT = 'text';

type PreviewReply = Extract<Reply, { kind: 'preview' }>;
type ReviewReply = Extract<Reply, { kind: 'review' }>;
type EditReply = Extract<Reply, { kind: 'edit' }>;

/** A message body for an interaction reply or a DM: content and buttons (none clears them). */
export interface DiscordMessage {
  content: string;
  components: Array<APIActionRowComponent<APIButtonComponent>>;
}

const LABELS: Record<string, string> = { post: 'Post', edit: 'Edit', save: 'Save', discard: 'Discard', approve: 'Approve', reject: 'Reject' };
type ActionStyle = ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Success | ButtonStyle.Danger;
const STYLES: Record<string, ActionStyle> = { post: ButtonStyle.Primary, approve: ButtonStyle.Success, reject: ButtonStyle.Danger, discard: ButtonStyle.Secondary };

/** A /restyle preview: the styled text, the style, and Post / Edit / Save / Discard. */
export function previewMessage(reply: PreviewReply): DiscordMessage {
  const footer = `-# Style \`${reply.style}\` · only you can see this preview${reply.note ? ` · ${reply.note}` : ''}`;
  const room = MESSAGE_LIMIT - footer.length - 1;
  return {
    content: `${clip(reply.styled, room)}\n${clip(footer, MESSAGE_LIMIT)}`.slice(0, MESSAGE_LIMIT),
    components: [row(reply.actions.map((a) => button(a, reply.id)))],
  };
}

/** A sample waiting for review, with Approve / Reject. */
export function reviewMessage(reply: ReviewReply): DiscordMessage {
  const head = `${reply.note ? `${reply.note} ` : ''}Sample for style \`${reply.style}\` from ${channelMention(reply.channel)}, saved by ${userMention(reply.savedBy)} (${reply.remaining} waiting):`;
  const neutral = reply.neutral !== undefined ? `\n-# Neutral: ${oneLine(reply.neutral)}` : '';
  const room = MESSAGE_LIMIT - head.length - Math.min(neutral.length, 400) - 2;
  return {
    content: `${head}\n${quote(clip(reply.styled, room - 40))}${clip(neutral, 400)}`.slice(0, MESSAGE_LIMIT),
    components: [row([button('approve', reply.id), button('reject', reply.id)])],
  };
}

/** Plain text (notes, final words on a button); no buttons, so used ones disappear. */
export function textMessage(text: string): DiscordMessage {
  return { content: clip(text, MESSAGE_LIMIT), components: [] };
}

/** The Edit modal on a preview's styled text; submitting posts it and saves the pair. */
export function editModal(reply: EditReply): APIModalInteractionResponseCallbackData {
  return {
    custom_id: `${EDIT_MODAL_PREFIX}${reply.id}`,
    title: 'Edit before posting',
    components: [
      {
        type: ComponentType.Label,
        label: `Styled text (${reply.style})`.slice(0, 45),
        description: 'Posting also saves your version as a training sample for this style.',
        component: { type: ComponentType.TextInput, custom_id: EDIT_INPUT, style: TextInputStyle.Paragraph, value: reply.styled, max_length: INPUT_LIMIT, required: true },
      },
    ],
  };
}

function row(components: APIButtonComponent[]): APIActionRowComponent<APIButtonComponent> {
  return { type: ComponentType.ActionRow, components };
}

function button(action: string, id: string): APIButtonComponent {
  return { type: ComponentType.Button, custom_id: `restyle:${action}:${id}`, label: LABELS[action] ?? action, style: STYLES[action] ?? ButtonStyle.Secondary };
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Keep within a message; Post always sends the full text. */
export function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const tail = `… (${text.length} characters in all)`;
  return `${text.slice(0, Math.max(0, limit - tail.length))}${tail}`;
}
