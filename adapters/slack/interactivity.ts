import type { App, BlockAction, ButtonAction, MessageShortcut } from '@slack/bolt';
import { decodeSlack } from '../../src/restyle/slack-text.js';
import type { MessageRef, PreviewAction, ReviewAction } from '../../src/bot/types.js';
import { PLATFORM, slackPlace } from './convert.js';
import { safely, type SlackDeps } from './deps.js';
import { ACTION_ID, EDIT_BLOCK, EDIT_CALLBACK, EDIT_INPUT } from './render.js';
import { commandJobFor, saveShortcutJobFor } from './command-job.js';
import { followJob } from './job-replies.js';
import { postPreviewJobFor } from './post-preview-job.js';
import { editJobFor, editMeta, pressJobFor, WORKING } from './press-job.js';

export const COMMAND = '/restyle';
export const SHORTCUT_RESTYLE = 'restyle_message';
export const SHORTCUT_SAVE = 'save_sample';

/**
 * `/restyle`, its buttons, the Edit modal and the two message shortcuts. Every listener acks first
 * (Slack allows 3 s, a styled preview may take longer) and answers through response_url afterwards.
 */
export function registerInteractivity(app: App, deps: SlackDeps): void {
  const { bot, shower, directory } = deps;

  app.command(COMMAND, async ({ ack, command, body }) => {
    await ack();
    // With a queue, map/unmap/forget were recorded inside ack() and are done by the slack.command job (./command-job.ts).
    if (deps.queue && commandJobFor(body)) return;
    await safely(deps, COMMAND, async () => {
      const actor = await directory.actor(command.user_id);
      const place = slackPlace(command.channel_id);
      const reply = await bot.command({ actor, place, text: decodeSlack(command.text ?? ''), command: command.command });
      await shower.show(reply, { channel: command.channel_id, user: command.user_id, responseUrl: command.response_url, triggerId: command.trigger_id });
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const [, , kind] = ACTION_ID.exec(action.action_id)!;
    // With a queue, every press but Edit was recorded before the ack and is done by a job
    // (./post-preview-job.ts, ./press-job.ts); this process only keeps the presser informed.
    const queued = deps.queue ? (postPreviewJobFor(body) ?? pressJobFor(body)) : null;
    if (queued && deps.queue) {
      const target = { channel: queued.payload.channel, user: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
      await followJob(deps.queue, deps, queued.id, target, WORKING[kind as keyof typeof WORKING]);
      return;
    }
    await safely(deps, `button ${action.action_id}`, async () => {
      const channel = body.channel?.id ?? body.container?.channel_id ?? '';
      const actor = await directory.actor(body.user.id);
      const place = slackPlace(channel, body.container?.thread_ts);
      const reply = await bot.press({ actor, place, action: kind as PreviewAction | ReviewAction, id: action.value ?? '' });
      await shower.show(reply, { channel, user: body.user.id, responseUrl: body.response_url, triggerId: body.trigger_id, fromButton: true });
    });
  });

  app.view(EDIT_CALLBACK, async ({ ack, body, view }) => {
    const meta = editMeta(view.private_metadata);
    if (!meta) {
      // Not from our Edit button (or from an older version): say so in the modal rather than close it silently.
      await ack({ response_action: 'errors', errors: { [EDIT_BLOCK]: 'This editor no longer belongs to a preview: close it and press Edit on the preview again.' } });
      return;
    }
    // With a queue the submission is recorded inside ack() (or the modal stays open saying why) and done by the slack.edit job.
    await ack();
    const edit = deps.queue ? editJobFor(body) : null;
    if (edit && deps.queue) {
      if (meta.responseUrl) await followJob(deps.queue, deps, edit.id, { channel: meta.channel ?? '', user: body.user.id, responseUrl: meta.responseUrl }, WORKING.edit);
      return;
    }
    await safely(deps, 'edit submission', async () => {
      const text = view.state?.values?.[EDIT_BLOCK]?.[EDIT_INPUT]?.value ?? '';
      const actor = await directory.actor(body.user.id);
      const reply = await bot.submitEdit({ actor, id: meta.id, text });
      await shower.show(reply, { channel: meta.channel ?? '', user: body.user.id, responseUrl: meta.responseUrl, fromButton: true });
    });
  });

  app.shortcut<MessageShortcut>(SHORTCUT_RESTYLE, async ({ ack, shortcut }) => {
    await ack();
    await safely(deps, 'restyle message shortcut', async () => {
      const actor = await directory.actor(shortcut.user.id);
      const reply = await bot.restyleMessage({ actor, message: messageRef(shortcut) });
      await shower.show(reply, { channel: shortcut.channel.id, user: shortcut.user.id, responseUrl: shortcut.response_url, triggerId: shortcut.trigger_id });
    });
  });

  app.shortcut<MessageShortcut>(SHORTCUT_SAVE, async ({ ack, shortcut, body }) => {
    await ack();
    if (deps.queue && saveShortcutJobFor(body)) return;
    await safely(deps, 'save sample shortcut', async () => {
      const actor = await directory.actor(shortcut.user.id);
      const reply = await bot.saveMessage({ actor, message: messageRef(shortcut) });
      await shower.show(reply, { channel: shortcut.channel.id, user: shortcut.user.id, responseUrl: shortcut.response_url });
    });
  });
}

function messageRef(shortcut: MessageShortcut): MessageRef {
  const m = shortcut.message;
  const thread = typeof m.thread_ts === 'string' ? m.thread_ts : undefined;
  return {
    place: slackPlace(shortcut.channel.id, thread),
    messageId: m.ts,
    text: decodeSlack(m.text ?? ''),
    ...(m.user ? { author: `${PLATFORM}:${m.user}` } : {}),
    fromBot: typeof m.bot_id === 'string',
  };
}
