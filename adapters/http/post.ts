import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import type { AppContext } from '../../src/app.js';
import { ReplyOrigins } from '../../src/bot/origins.js';
import type { ChatPlatform, RunningPlatform } from '../../src/bot/platform.js';
import type { PostJob } from '../../src/bot/types.js';
import { guardMentions } from '../../src/bot/safety.js';
import { CHANNEL_KEY } from '../../src/config/schema.js';
import type { ChannelMapping } from '../../src/restyle/channel-mappings.js';
import { RestyleError } from '../../src/errors.js';
import { readJson, requiredString } from './body.js';
import { Idempotency, idempotencyKey, type Answer } from './idempotency.js';
import { durablePosts, POST_WAIT_MS, type RecordedPost } from './post-job.js';

/** Posts final text to one of a running platform's channels (`RunningPlatform.post`). */
export type Poster = NonNullable<RunningPlatform['post']>;

/** Checks a post's channel and thread for the platform (`ChatPlatform.checkPost`). */
export type PostCheck = NonNullable<ChatPlatform['checkPost']>;

/** A platform as `POST /v1/post` sees it: running here, or why not (`nowhere`: no process can post there). */
export type PlatformSlot = { post: Poster; check?: PostCheck } | { unavailable: string; nowhere?: boolean };

export interface PostRouteDeps {
  ctx: Pick<AppContext, 'restyler' | 'store' | 'metrics' | 'logger' | 'queue'>;
  bodyLimit: number;
  /** Throws the 401 when the bearer token is missing or wrong. */
  authorize(req: IncomingMessage): void;
  /** The platform named by a channel key's prefix (`slack`), if this process knows it. */
  platform(name: string): PlatformSlot | undefined;
  send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
}

const postBody = z
  .object({
    channel: requiredString('a channel key such as slack:C0123ABC or discord:112233445566778899').min(1),
    text: requiredString('a string').refine((t) => t.trim() !== '', 'must not be empty'),
    thread: z.string().min(1).optional(),
    style: z.string().min(1).optional(),
    params: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type PostBody = z.infer<typeof postBody>;

export interface PostResponse {
  ok: true;
  channel: string;
  thread?: string;
  /** The message's platform id (Slack ts, Discord message id). */
  id: string;
  /** Every message posted (more than one when the text exceeded the platform's length limit). */
  ids: string[];
  /** The text as posted, as people read it (before the platform's own escaping, such as Slack's &lt; for <). */
  text: string;
  styled: boolean;
  style: string | null;
  fallbacks: number;
  /** Why the text went out unstyled (`no_style`, a model error code with fail-open, `mention_added`). */
  reason?: string;
}

/**
 * `POST /v1/post`: restyle `text` with the channel's style (as `/v1/restyle` with `channel`, failing open
 * the way the filter is configured to) and post it through the chat platform running in this process.
 * Answers 200 only once the platform accepted the message. With an `Idempotency-Key` header it runs at most
 * once per key (see ./idempotency.ts).
 */
export function postRoute(deps: PostRouteDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { ctx } = deps;
  const origins = new ReplyOrigins(ctx.store);
  const idempotency = new Idempotency(ctx.store, {
    scope: '/v1/post',
    logger: ctx.logger,
    onShortcut: (result) => ctx.metrics.idempotency.inc({ result }),
    // Durable: the job is the record, so a key whose process died is free again soon (its job is found by id).
    ...(ctx.queue ? { lockTtlMs: POST_WAIT_MS + 15_000 } : {}),
  });

  const posterFor = (name: string): { post: Poster; check?: PostCheck } => {
    const slot = deps.platform(name) ?? { unavailable: `${name} is not running in this process` };
    if ('unavailable' in slot) throw new RestyleError('platform_unavailable', slot.unavailable, { retryable: true });
    return slot;
  };

  const post = async (body: PostBody, record?: (response: PostResponse) => Promise<void>, job?: PostJob, mapping?: Promise<ChannelMapping | null>): Promise<PostResponse> => {
    const { channel, text, thread } = body;
    const name = platformOf(channel);
    try {
      const platform = posterFor(name);
      // A malformed channel or thread is the caller's mistake: say so before the model is paid.
      platform.check?.({ channel, ...(thread ? { thread } : {}) });
      const r = await ctx.restyler.restyle(text, { channel, ...(mapping ? { mapping } : {}), ...(body.style ? { style: body.style } : {}), ...(body.params ? { params: body.params } : {}) });
      const safe = guardMentions(text, r.text);
      if (safe.blocked.length > 0) ctx.logger.warn({ blocked: safe.blocked, channel }, 'post: the styled text added mentions; posting the text as written');
      const styled = r.styled && safe.blocked.length === 0;
      const origin = { style: styled ? r.style : null, model: styled ? r.model : null, neutral: text };
      const posted = await platform.post({ channel, text: safe.text, ...(thread ? { thread } : {}), origin, ...(job ? { job } : {}) });
      ctx.metrics.posts.inc({ platform: name, outcome: 'ok' });
      const reason = safe.blocked.length > 0 ? 'mention_added' : r.reason;
      const response: PostResponse = {
        ok: true,
        channel,
        ...(thread ? { thread } : {}),
        id: posted.id,
        ids: posted.ids,
        text: safe.text,
        styled,
        style: r.style,
        fallbacks: r.fallbacks,
        ...(reason ? { reason } : {}),
      };
      await record?.(response); // a durable job keeps it before anything else can fail: posted once
      if (styled) {
        // So 👍/👎 on the message reach the corpus, as for the bot's own answers.
        await origins.record({ key: channel }, posted.ids, { ...origin, styled: safe.text }).catch((error: unknown) => {
          ctx.logger.warn({ err: (error as Error).message, channel }, 'post: could not record the message origin');
        });
      }
      return response;
    } catch (error) {
      ctx.metrics.posts.inc({ platform: name, outcome: 'failed' });
      throw error;
    }
  };

  // With a queue, the request is recorded before anything is posted (see ./post-job.ts), and the channel's
  // mapping read while the job is written, not after the queue hands the job over.
  const readMapping = (body: PostBody) => (body.style ? undefined : ctx.restyler.channels.resolve(body.channel));
  const durable = ctx.queue ? durablePosts(ctx.queue, post, parse, { readMapping }) : undefined;
  const run = async (body: PostBody, job?: RecordedPost): Promise<Answer> => {
    if (!durable || !job) return { status: 200, body: await post(body) };
    await durable.renew(job, body);
    return durable.answer(job.id);
  };

  return async (req, res) => {
    deps.authorize(req);
    const body = parse(await readJson(req, deps.bodyLimit));
    const slot = deps.platform(platformOf(body.channel));
    refuseNowhere(slot);
    // A malformed channel or thread is the caller's 400 at once, before a job is recorded for it.
    if (slot && 'post' in slot) slot.check?.({ channel: body.channel, ...(body.thread ? { thread: body.thread } : {}) });
    const key = idempotencyKey(req);
    // Durable: recorded before the key is claimed, so a process dying in between loses nothing.
    const job = durable ? await durable.record(key, body) : undefined;
    try {
      if (key === undefined) {
        const answer = await run(body, job);
        deps.send(res, answer.status, answer.body);
        return;
      }
      const answer = await idempotency.run(key, idempotency.fingerprint(body), () => run(body, job));
      deps.send(res, answer.status, answer.body, answer.replayed ? { 'idempotent-replayed': 'true' } : {});
    } finally {
      if (job) durable?.release(job);
    }
  };
}

function parse(input: unknown): PostBody {
  const parsed = postBody.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RestyleError('input_invalid', `${issue.path.join('.') || 'body'}: ${issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message}`, {
      details: { status: 400 },
    });
  }
  const body = parsed.data;
  if (!CHANNEL_KEY.test(body.channel) || body.channel === 'default') {
    throw new RestyleError('input_invalid', `channel: "${body.channel}" is not a channel key; use slack:<channel id> (slack:C0123ABC) or discord:<channel id> (discord:112233445566778899)`, {
      details: { status: 400, field: 'channel' },
    });
  }
  return body;
}

/** The platform a channel key names: `slack` for `slack:C0123ABC`. */
function platformOf(channel: string): string {
  return channel.slice(0, channel.indexOf(':'));
}

/** A post no process can make (its platform is off where every role runs) is refused at once, not queued to retry. */
function refuseNowhere(slot: PlatformSlot | undefined): void {
  if (slot && 'unavailable' in slot && slot.nowhere) throw new RestyleError('platform_unavailable', slot.unavailable);
}
