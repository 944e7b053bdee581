import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import { slackError } from './errors.js';

/** Messages per page and pages read: a rerun looks at up to 1,000 messages posted since its job began. */
const PAGE = 200;
const PAGES = 5;
/** Our clock and Slack's may differ: look a little before the job's creation. */
const SKEW_S = 60;

interface Found {
  ts?: string;
  user?: string;
  metadata?: { event_payload?: { job?: unknown } };
}

/**
 * The ts of the messages a durable job already posted (tagged with its id in message metadata, see
 * SlackActions.post), oldest first: a job run again after a crash between Slack's `ok` and recording the
 * ts finds them instead of posting twice. Reads the thread (`conversations.replies`) or the channel
 * (`conversations.history`) since the job's creation. When Slack cannot be read it finds nothing (the
 * job posts: better a rare duplicate than a lost answer).
 */
export async function findJobPosts(
  client: webApi.WebClient,
  logger: Logger,
  where: {
    channel: string;
    thread?: string;
    job: string;
    since: number;
    /**
     * Also count this bot user's messages that carry no metadata at all: a streamed message is tagged only
     * when its stream stops, so one a crash cut off is untagged. Only where every such message is the job's
     * (the thread of the mention it answers).
     */
    untaggedBy?: string;
  },
): Promise<string[]> {
  const method = where.thread ? 'conversations.replies' : 'conversations.history';
  const base = {
    channel: where.channel,
    ...(where.thread ? { ts: where.thread } : {}),
    oldest: String(Math.max(0, Math.floor(where.since / 1000) - SKEW_S)),
    limit: PAGE,
    include_all_metadata: true,
  };
  const ids: string[] = [];
  let cursor: string | undefined;
  try {
    for (let page = 0; page < PAGES; page++) {
      const res = (await client.apiCall(method, { ...base, ...(cursor ? { cursor } : {}) })) as { messages?: Found[]; has_more?: boolean; response_metadata?: { next_cursor?: string } };
      for (const m of res.messages ?? []) {
        const untagged = where.untaggedBy !== undefined && m.user === where.untaggedBy && m.metadata === undefined;
        if (m.ts && (m.metadata?.event_payload?.job === where.job || untagged)) ids.push(m.ts);
      }
      cursor = res.response_metadata?.next_cursor;
      if (!res.has_more || !cursor) break;
    }
  } catch (error) {
    logger.warn({ err: slackError(error, method).message, channel: where.channel, job: where.job }, 'slack: could not look for an earlier post of this job; posting');
    return [];
  }
  return ids.sort((a, b) => Number(a) - Number(b));
}
