import type { webApi } from '@slack/bolt';
import type { Reply } from '../../src/bot/types.js';
import { RestyleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { encodeSlack } from '../../src/restyle/slack-text.js';
import { slackError } from './errors.js';
import { editModal, INPUT_LIMIT, previewMessage, reviewMessage, type SlackMessage } from './render.js';

/** response_url answers at once or not at all; don't let a hung one hold the handler. */
const RESPONSE_URL_TIMEOUT_MS = 10_000;

/** Where a reply goes: the response_url of a command/button/shortcut when there is one, else an ephemeral post. */
export interface ShowTarget {
  channel: string;
  user: string;
  thread?: string;
  responseUrl?: string;
  /** Needed to open the Edit modal. */
  triggerId?: string;
  /** The reply answers a button on an ephemeral message (so `replace` replaces it). */
  fromButton?: boolean;
}

/**
 * Renders neutral replies in Slack: previews and review cards as Block Kit, notes as ephemeral text,
 * `done` replacing the message whose button was pressed (its buttons disappear, so they cannot be used
 * twice), `edit` as a modal.
 */
export class Shower {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly fetchFn: typeof fetch,
    private readonly logger: Logger,
  ) {}

  async show(reply: Reply | null, target: ShowTarget): Promise<void> {
    if (!reply) return;
    switch (reply.kind) {
      case 'edit': {
        if (reply.styled.length > INPUT_LIMIT) {
          return this.show({ kind: 'text', ephemeral: true, text: `This preview is ${reply.styled.length} characters, more than Slack's editor takes (${INPUT_LIMIT}); use Post or Save.` }, { ...target, fromButton: false });
        }
        if (!target.triggerId) throw new RestyleError('internal', 'slack: Edit needs a trigger_id');
        try {
          await this.client.views.open({
            trigger_id: target.triggerId,
            view: editModal(reply, { id: reply.id, responseUrl: target.responseUrl, channel: target.channel }) as never,
          });
        } catch (error) {
          const e = slackError(error, 'views.open');
          return this.show({ kind: 'text', ephemeral: true, text: `Could not open the editor: ${e.message}` }, { ...target, fromButton: false });
        }
        return;
      }
      case 'preview':
        return this.send(previewMessage(reply), target, false);
      case 'review':
        return this.send(reviewMessage(reply), target, Boolean(target.fromButton));
      case 'done':
        return this.send({ text: reply.text }, target, reply.replace && Boolean(target.fromButton));
      case 'text':
        return this.send({ text: reply.text }, target, false);
    }
  }

  private async send(typed: SlackMessage, target: ShowTarget, replace: boolean): Promise<void> {
    const message = escaped(typed);
    if (target.responseUrl) {
      const body = replace
        ? { ...message, replace_original: true, ...(message.blocks ? {} : { blocks: [] }) }
        : { ...message, response_type: 'ephemeral', replace_original: false };
      try {
        const res = await this.fetchFn(target.responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS) });
        // Drain the body so the connection is reused.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        this.logger.warn({ status: res.status }, 'slack: response_url refused the reply; posting it as an ephemeral message');
      } catch (error) {
        // Unreachable or not a URL at all: the person still gets the answer.
        this.logger.warn({ err: (error as Error).message }, 'slack: response_url failed; posting the reply as an ephemeral message');
      }
    }
    try {
      await this.client.chat.postEphemeral({
        channel: target.channel,
        user: target.user,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
        ...(target.thread ? { thread_ts: target.thread } : {}),
      });
    } catch (error) {
      throw slackError(error, 'chat.postEphemeral');
    }
  }
}

/** Replies are text as typed: Slack's escaping goes on at the door (message text and mrkdwn in blocks). */
function escaped(message: SlackMessage): SlackMessage {
  const mrkdwn = (t: unknown): unknown => {
    const o = t as { type?: unknown; text?: unknown } | undefined;
    return o && o.type === 'mrkdwn' && typeof o.text === 'string' ? { ...o, text: encodeSlack(o.text) } : t;
  };
  return {
    text: encodeSlack(message.text),
    ...(message.blocks
      ? {
          blocks: message.blocks.map((b) => ({
            ...b,
            ...(b.text ? { text: mrkdwn(b.text) } : {}),
            ...(Array.isArray(b.elements) && b.type === 'context' ? { elements: (b.elements as unknown[]).map(mrkdwn) } : {}),
          })),
        }
      : {}),
  };
}
