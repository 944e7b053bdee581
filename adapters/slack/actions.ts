import type { webApi } from '@slack/bolt';
import { ReplyOrigins } from '../../src/bot/origins.js';
import { broadcastAllowed, guardMentions, pingable } from '../../src/bot/safety.js';
import { splitMessage } from '../../src/bot/split-message.js';
import type { ChatActions, Place, PostOptions, ReplyStream, StreamReplyOptions } from '../../src/bot/types.js';
import type { Logger } from '../../src/log.js';
import { slackError } from './errors.js';
import { findJobPosts } from './job-posts.js';
import { encodeSlack } from '../../src/restyle/slack-text.js';
import { inertSlackMentions } from './mentions.js';
import { markdownToMrkdwn } from './markdown.js';
import { SECTION_LIMIT } from './render.js';
import { SlackReplyStream } from './stream.js';

/** Slack renders up to 40k characters but readers do not: parts of one section each. */
export const MESSAGE_LIMIT = SECTION_LIMIT;
export const METADATA_EVENT = 'restyle_reply';

/**
 * What the use cases may do in Slack: post (split within limits, mentions guarded, credited, with
 * message metadata naming the style, model and the neutral text's hash). Posts are final text: they never
 * pass through the restyleSlack middleware again.
 */
export class SlackActions implements ChatActions {
  private team: Promise<string | undefined> | undefined;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    /** `safety.allowBroadcast`: channels where the asker's broadcast and group mentions may ping. */
    private readonly allowBroadcast: readonly string[] = [],
  ) {}

  /** A streamed answer in the thread (adapters/slack/stream.ts): Slack's chat streaming, else post + updates. */
  openStream(place: Place, options: StreamReplyOptions): ReplyStream {
    const call = (method: string, args: Record<string, unknown>): Promise<webApi.WebAPICallResult> => this.client.apiCall(method, args);
    // A job's messages carry its id (as posts do), so a rerun finds them: on the posted message, or when a native stream stops.
    const metadata = options.job ? { event_type: METADATA_EVENT, event_payload: { job: options.job.id } } : undefined;
    // As a post: only the asker's live mentions ping, broadcasts only where the channel allows them.
    const allowed = pingable(options.asked ?? '', { broadcast: broadcastAllowed(this.allowBroadcast, place.key) });
    return new SlackReplyStream(call, place, { ...options, ...(metadata ? { metadata } : {}), teamId: () => this.teamId(), limit: MESSAGE_LIMIT, logger: this.logger, allowed });
  }

  /** "is writing…" under the thread while the answer comes (apps with the Agents & AI Apps feature; ignored elsewhere). */
  async showWorking(place: Place, thread: string | undefined): Promise<void> {
    if (!thread) return;
    await this.client.apiCall('assistant.threads.setStatus', { channel_id: place.channelId, thread_ts: thread, status: 'is writing…' }).catch((error: unknown) => {
      this.logger.debug({ err: slackError(error, 'assistant.threads.setStatus').message }, 'slack: no thread status (not an AI app?)');
    });
  }

  /** The workspace id, for streaming to a recipient outside DMs (auth.test, once). */
  private teamId(): Promise<string | undefined> {
    this.team ??= this.client
      .apiCall('auth.test', {})
      .then((r) => (r as { team_id?: string }).team_id)
      .catch(() => undefined);
    return this.team;
  }

  async post(place: Place, text: string, options: PostOptions = {}): Promise<string[]> {
    const origin = options.origin;
    const safe = origin ? guardMentions(origin.neutral, text) : { text, blocked: [] };
    if (safe.blocked.length > 0) this.logger.warn({ blocked: safe.blocked, channel: place.key }, 'slack: post would add mentions; posting the original text');
    // Only the asking human's mentions ping; broadcasts only where the channel allows them (issue 13, hole 3).
    const allowed = pingable(options.asked ?? origin?.neutral ?? safe.text, { broadcast: broadcastAllowed(this.allowBroadcast, place.key) });
    // Text as typed → Slack's escaping, then the mentions that may not ping made inert.
    // An answer model's Markdown is shown as Slack's mrkdwn (streamed replies use Slack's markdown_text instead).
    const inert = inertSlackMentions(encodeSlack(options.markdown ? markdownToMrkdwn(safe.text) : safe.text), allowed);
    if (inert.inert.length > 0) this.logger.info({ inert: inert.inert, channel: place.key }, 'slack: mentions posted as inert text');
    const parts = splitMessage(inert.text, MESSAGE_LIMIT);
    const job = options.job;
    if (job?.since !== undefined) {
      // A rerun of a durable job: it may have posted before it could record the ts (a crash in between).
      const found = await findJobPosts(this.client, this.logger, { channel: place.channelId, ...(options.thread ? { thread: options.thread } : {}), job: job.id, since: job.since });
      if (found.length > 0) {
        this.logger.info({ job: job.id, channel: place.key, ts: found }, 'slack: this job posted already; not posting again');
        return found;
      }
    }
    const styleTags = origin ? { style: origin.style ?? '', model: origin.model ?? '', hash: ReplyOrigins.hash(origin.neutral) } : undefined;
    const metadata = styleTags || job ? { event_type: METADATA_EVENT, event_payload: { ...styleTags, ...(job ? { job: job.id } : {}) } } : undefined;
    const ids: string[] = [];
    for (const [i, part] of parts.entries()) {
      const credit = i === parts.length - 1 && options.onBehalfOf ? creditLine(options.onBehalfOf.id, origin?.style) : undefined;
      try {
        // The text is final. apiCall goes around `client.chat.postMessage`, which restyleSlack (the middleware
        // for existing Bolt apps) replaces on clients it sees: already-styled text is never styled twice.
        const args: webApi.ChatPostMessageArguments = {
          channel: place.channelId,
          text: part,
          ...(credit
            ? {
                blocks: [
                  { type: 'section', text: { type: 'mrkdwn', text: part } },
                  { type: 'context', elements: [{ type: 'mrkdwn', text: credit }] },
                ],
              }
            : {}),
          ...(options.thread ? { thread_ts: options.thread } : {}),
          ...(metadata ? { metadata } : {}),
          unfurl_links: false,
        };
        const res = (await this.client.apiCall('chat.postMessage', { ...args })) as webApi.ChatPostMessageResponse;
        if (res.ts) ids.push(res.ts);
      } catch (error) {
        throw slackError(error, 'chat.postMessage');
      }
    }
    return ids;
  }
}

function creditLine(userId: string, style: string | null | undefined): string {
  return `Posted by <@${userId}> with /restyle${style ? ` (style \`${style}\`)` : ''}`;
}
