/**
 * Streaming an answer into a Slack thread. First choice: Slack's text streaming (`chat.startStream` /
 * `chat.appendStream` / `chat.stopStream`, Tier 4: 100+ calls a minute, `markdown_text` which Slack renders
 * as Markdown). Where the workspace refuses them (older plans, no thread, a refused method), the reply is
 * posted and then edited (`chat.postMessage` + `chat.update` with `markdown_text`) at one call a second:
 * `chat.postMessage` allows about one message a second per channel and `chat.update` is Tier 3 (50+ a
 * minute). Either way a message past MESSAGE_LIMIT characters continues in a new one.
 */
import type { webApi } from '@slack/bolt';
import { EditingReply, type Pace } from '../../src/bot/edit-stream.js';
import { splitMessage } from '../../src/bot/split-message.js';
import type { Pingable } from '../../src/bot/safety.js';
import type { Place, ReplyStream, StreamReplyOptions } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { slackError } from './errors.js';
import { plainSlackMentions } from './mentions.js';

/** Post + update pace for the fallback (docs.slack.dev rate limits: postMessage ~1/s per channel, chat.update Tier 3). */
export const SLACK_EDIT_PACE: Pace = { calls: 1, perMs: 1000 };

type Call = (method: string, args: Record<string, unknown>) => Promise<webApi.WebAPICallResult>;

export class SlackReplyStream implements ReplyStream {
  private native: { ts: string; length: number } | null = null;
  /** Set once the streaming methods are refused: everything from then on goes here. */
  private fallback: EditingReply | null = null;
  private readonly ids: string[] = [];
  private pending = '';
  private pumping: Promise<void> | null = null;
  private error: unknown;

  constructor(
    private readonly call: Call,
    private readonly place: Place,
    private readonly options: StreamReplyOptions & {
      teamId: () => Promise<string | undefined>;
      limit: number;
      logger: Logger;
      metadata?: Record<string, unknown>;
      /** Mentions that may ping (the asker's, see `pingable`); every other one goes out as plain text. */
      allowed: Pingable;
    },
  ) {
    this.reuse = [...(options.resume ?? [])];
    // Slack streams only into a thread; a rerun writes into the messages its earlier attempt began (edits).
    if (!options.thread || this.reuse.length > 0) this.fallback = this.editing();
  }

  /** Messages of an earlier attempt not written into yet. */
  private readonly reuse: string[];

  append(text: string): Promise<void> {
    if (this.error !== undefined) return Promise.reject(this.error);
    // One call at a time, in order; what arrives meanwhile goes out together. The caller does not wait.
    // Mentions that may not ping go out as plain text (blocks arrive whole, so no markup is cut).
    this.pending += plainSlackMentions(text, this.options.allowed);
    this.pumping ??= this.pump();
    return Promise.resolve();
  }

  async finish(): Promise<string[]> {
    while (this.pumping) await this.pumping;
    if (this.error !== undefined) throw this.error;
    if (this.native) await this.stopNative();
    if (this.fallback) this.ids.push(...(await this.fallback.finish()));
    return this.ids;
  }

  private async pump(): Promise<void> {
    try {
      while (this.pending !== '' && this.error === undefined) {
        const text = this.pending;
        this.pending = '';
        await this.send(text);
      }
    } catch (error) {
      this.error ??= error;
    } finally {
      this.pumping = null;
    }
  }

  private async send(text: string): Promise<void> {
    if (this.fallback) return this.fallback.append(text);
    // A new message does not start with the blank lines between two blocks.
    if (!this.native && text.trim() === '') return;
    // A message past the limit continues in a new one; a block longer than the limit is cut like a post.
    const pieces = this.native && this.native.length + text.length <= this.options.limit ? [text] : splitMessage(text, this.options.limit);
    for (const piece of pieces) {
      if (this.native && this.native.length + piece.length > this.options.limit) await this.stopNative();
      try {
        await this.sendNative(piece);
      } catch (error) {
        const code = slackCode(error);
        if (code === undefined) throw slackError(error, this.native ? 'chat.appendStream' : 'chat.startStream');
        // Refused (no streaming here, a plan or channel without it): post and edit instead, losing nothing.
        this.options.logger.info({ code, channel: this.place.key }, 'slack: chat streaming refused; posting and editing instead');
        if (this.native) await this.stopNative().catch(() => undefined);
        this.fallback = this.editing();
        const rest = pieces.slice(pieces.indexOf(piece)).join('');
        return this.fallback.append(rest);
      }
    }
  }

  private async sendNative(text: string): Promise<void> {
    if (this.native) {
      await this.call('chat.appendStream', { channel: this.place.channelId, ts: this.native.ts, markdown_text: text });
      this.native.length += text.length;
      return;
    }
    const teamId = await this.options.teamId();
    const recipient = this.place.isDirect || !this.options.recipient || !teamId ? {} : { recipient_user_id: this.options.recipient.id, recipient_team_id: teamId };
    const res = (await this.call('chat.startStream', { channel: this.place.channelId, thread_ts: this.options.thread, markdown_text: text, ...recipient })) as { ts?: string };
    if (!res.ts) throw new Error('chat.startStream answered ok without a ts');
    this.native = { ts: res.ts, length: text.length };
    this.ids.push(res.ts);
    await this.options.started?.(res.ts);
  }

  private async stopNative(): Promise<void> {
    const ts = this.native!.ts;
    this.native = null;
    try {
      await this.call('chat.stopStream', { channel: this.place.channelId, ts, ...(this.options.metadata ? { metadata: this.options.metadata } : {}) });
    } catch (error) {
      throw slackError(error, 'chat.stopStream');
    }
  }

  /**
   * Write `text` into a message an earlier attempt began: a native stream it left open is stopped first (best
   * effort: it may have been stopped already), then the message is replaced and tagged.
   */
  private async rewrite(ts: string, text: string): Promise<string> {
    await this.call('chat.stopStream', { channel: this.place.channelId, ts }).catch(() => undefined);
    await this.call('chat.update', { channel: this.place.channelId, ts, markdown_text: text, ...(this.options.metadata ? { metadata: this.options.metadata } : {}) });
    return ts;
  }

  private editing(): EditingReply {
    const base = { channel: this.place.channelId, ...(this.options.thread ? { thread_ts: this.options.thread } : {}), unfurl_links: false };
    return new EditingReply(
      {
        post: async (text) => {
          const earlier = this.reuse.shift();
          // Deleted since (someone removed the partial answer): post anew.
          if (earlier) {
            const kept = await this.rewrite(earlier, text).catch((error: unknown) => (slackCode(error) === 'message_not_found' ? undefined : Promise.reject(slackError(error, 'chat.update'))));
            if (kept) return kept;
          }
          const res = (await this.call('chat.postMessage', { ...base, markdown_text: text, ...(this.options.metadata ? { metadata: this.options.metadata } : {}) }).catch((error: unknown) => {
            throw slackError(error, 'chat.postMessage');
          })) as { ts?: string };
          if (res.ts) await this.options.started?.(res.ts);
          return res.ts ?? '';
        },
        edit: async (ts, text) => {
          await this.call('chat.update', { channel: this.place.channelId, ts, markdown_text: text }).catch((error: unknown) => {
            throw slackError(error, 'chat.update');
          });
        },
      },
      { limit: this.options.limit, pace: SLACK_EDIT_PACE },
    );
  }
}

/** Slack's own error code when Slack answered (ok: false), else undefined (network, timeout). */
function slackCode(error: unknown): string | undefined {
  const code = (error as { data?: { error?: unknown } } | null)?.data?.error;
  // Rate limits and server trouble are not a refusal of streaming: those are retried by the client or surface.
  return typeof code === 'string' && !['ratelimited', 'fatal_error', 'internal_error', 'service_unavailable', 'request_timeout'].includes(code) ? code : undefined;
}
