import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { ReplyOrigins } from '../../src/bot/origins.js';
import { broadcastAllowed, guardMentions, pingable } from '../../src/bot/safety.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import type { Restyler } from '../../src/restyle/restyler.js';
import type { Store } from '../../src/store/types.js';
import { slackPlace } from './convert.js';
import { METADATA_EVENT } from './actions.js';
import { decodeSlack, encodeSlack } from '../../src/restyle/slack-text.js';
import { inertSlackMentions } from './mentions.js';

type ChatMethod = 'postMessage' | 'postEphemeral' | 'update' | 'scheduleMessage';
type Args = Record<string, unknown>;

export interface RestyleSlackOptions {
  /** Record what was posted in `store.ns('replies')`, so 👍/👎 on these replies reach the corpus. */
  store?: Store;
  logger?: Logger;
  /** `chat` methods to filter (default: all four). */
  methods?: readonly ChatMethod[];
  /** What `fetch` forwards to (default: the global fetch). */
  fetch?: typeof fetch;
  /**
   * Channels (`slack:C…`) where `<!channel>`, `<!here>`, `<!everyone>` and `<!subteam^…>` may ping (config:
   * `safety.allowBroadcast`). Elsewhere they are posted as inert text, styled or not.
   */
  allowBroadcast?: readonly string[];
}

export type RestyleSlackMiddleware = Middleware<AnyMiddlewareArgs> & {
  /**
   * The filter itself: give it to `new App({clientOptions: {fetch: mw.fetch}})`. Bolt's Web API client and
   * `respond()` both send through this fetch (an option the Slack SDK offers), so only that app restyles.
   */
  fetch: typeof fetch;
};

const RESPONSE_URL_TTL_MS = 30 * 60_000;
const CHAT_METHODS: readonly ChatMethod[] = ['postMessage', 'postEphemeral', 'update', 'scheduleMessage'];

/**
 * Two lines for an existing Bolt app: `new App({ …, clientOptions: { fetch: restyle.fetch } })` and
 * `app.use(restyle)`, with `restyle = restyleSlack(restyler)`. Messages its listeners send with `say(…)`,
 * `respond(…)` or `client.chat.postMessage/postEphemeral/update/scheduleMessage(…)` to a mapped channel pass
 * through the filter (text and section/markdown blocks; mentions never added; fails open). Opt out per call
 * with `restyle: false` (or `noRestyle(args)`). The middleware only notes which channel a `response_url`
 * belongs to; nothing of Bolt's or the Slack SDK's is replaced, so other apps in the process are untouched.
 *
 * @example
 * const restyle = restyleSlack(ctx.restyler, { store: ctx.store });
 * const app = new App({ token, signingSecret, clientOptions: { fetch: restyle.fetch } });
 * app.use(restyle);
 * app.event('app_mention', async ({ say }) => { await say('Your build passed.'); }); // styled if mapped
 * app.command('/raw', async ({ ack, respond }) => { await ack(); await respond(noRestyle({ text: 'as is' })); });
 */
export function restyleSlack(restyler: Restyler, options: RestyleSlackOptions = {}): RestyleSlackMiddleware {
  const logger = options.logger ?? silentLogger();
  const origins = options.store ? new ReplyOrigins(options.store) : undefined;
  const methods = new Set((options.methods ?? CHAT_METHODS).map((m) => `chat.${m}`));
  const responseUrls = new Map<string, { channel: string; until: number }>();
  const filter = async (args: Args, channel: string | undefined): Promise<Filtered> => {
    const filtered = await restyleArgs(restyler, logger, args, channel);
    return { ...filtered, args: inertArgs(filtered.args, proseOf(args), channel, options.allowBroadcast) };
  };

  const middleware = (async ({ body, next }) => {
    const b = body as { response_url?: unknown; channel_id?: unknown; channel?: { id?: unknown }; container?: { channel_id?: unknown } };
    const channel = [b.channel_id, b.channel?.id, b.container?.channel_id].find((c): c is string => typeof c === 'string');
    if (typeof b.response_url === 'string' && channel) {
      const now = Date.now();
      for (const [url, v] of responseUrls) if (v.until < now) responseUrls.delete(url);
      responseUrls.set(b.response_url, { channel, until: now + RESPONSE_URL_TTL_MS });
    }
    await next();
  }) as RestyleSlackMiddleware;

  middleware.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const forward = options.fetch ?? fetch;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (init?.method !== 'POST' || typeof init.body !== 'string') return forward(input, init);
    const method = new URL(url).pathname.split('/').at(-1) ?? '';
    if (methods.has(method)) return apiCall(method, input, init, init.body);
    const target = responseUrls.get(url);
    if (!target) return forward(input, init);
    let parsed: Args;
    try {
      parsed = JSON.parse(init.body) as Args;
    } catch {
      return forward(input, init);
    }
    const { args } = await filter(parsed, target.channel);
    return forward(input, { ...init, body: JSON.stringify(args) });
  }) as typeof fetch;

  /** A Web API call (form-encoded, objects as JSON): restyle it, send it, and note what a posted message was styled from. */
  async function apiCall(method: string, input: Parameters<typeof fetch>[0], init: NonNullable<Parameters<typeof fetch>[1]>, body: string): Promise<Response> {
    const forward = options.fetch ?? fetch;
    const args = decodeForm(body);
    const channel = typeof args.channel === 'string' ? args.channel : undefined;
    const filtered = await filter(args, channel);
    const response = await forward(input, { ...init, body: encodeForm(filtered.args) });
    if (origins && filtered.origin && channel && method === 'chat.postMessage' && response.ok) {
      const result = (await response.clone().json().catch(() => ({}))) as { ts?: unknown };
      if (typeof result.ts === 'string') {
        await origins.record(slackPlace(channel), [result.ts], filtered.origin).catch((error: unknown) => {
          logger.warn({ err: (error as Error).message }, 'restyleSlack: could not record the reply origin');
        });
      }
    }
    return response;
  }

  return middleware;
}

/** Mark a message so the filter leaves it alone: `say(noRestyle({ text }))`. */
export function noRestyle<T extends object>(args: T): T {
  return { ...args, restyle: false };
}

/** The Slack SDK sends arguments form-encoded, objects (blocks, metadata) as JSON and booleans as `true`/`false`. */
function decodeForm(body: string): Args {
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key === 'blocks' || key === 'metadata' || key === 'attachments') {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // Leave it as the text it was.
      }
    }
    args[key] = key === 'restyle' ? value !== 'false' : value;
  }
  return args;
}

function encodeForm(args: Args): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    form.append(key, typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return form.toString();
}

interface Filtered {
  args: Args;
  origin?: { style: string | null; model: string | null; neutral: string; styled: string };
}

async function restyleArgs(restyler: Restyler, logger: Logger, input: Args, channel: string | undefined): Promise<Filtered> {
  const { restyle: optOut, ...args } = input;
  if (optOut === false || !channel) return { args };
  const key = slackPlace(channel).key;
  // An object, not two lets: the closure below assigns it and TypeScript's narrowing cannot see that.
  const used: { style: string | null; model: string | null } = { style: null, model: null };
  const one = async (text: string): Promise<string> => {
    try {
      // The model sees the text as typed, as in training (Slack exports are decoded too); Slack gets it escaped.
      const typed = decodeSlack(text);
      const r = await restyler.restyle(typed, { channel: key, onError: 'original' });
      const safe = guardMentions(typed, r.text);
      if (r.styled && safe.blocked.length === 0) {
        used.style = r.style;
        used.model = r.model;
        return encodeSlack(safe.text);
      }
      return text;
    } catch (error) {
      logger.warn({ err: (error as Error).message, channel: key }, 'restyleSlack: sending the text unstyled');
      return text;
    }
  };
  const neutral = typeof args.text === 'string' ? args.text : undefined;
  if (neutral !== undefined) args.text = await one(neutral);
  if (Array.isArray(args.blocks)) args.blocks = await Promise.all((args.blocks as Args[]).map((b) => restyleBlock(b, one)));
  const { style, model } = used;
  if (style === null) return { args };
  if (args.metadata === undefined) {
    args.metadata = { event_type: METADATA_EVENT, event_payload: { style, model: model ?? '', hash: ReplyOrigins.hash(neutral ?? '') } };
  }
  return { args, ...(neutral !== undefined ? { origin: { style, model, neutral, styled: args.text as string } } : {}) };
}

/** Section text and markdown blocks carry prose; everything else (buttons, code, images) is left alone. */
async function restyleBlock(block: Args, one: (text: string) => Promise<string>): Promise<Args> {
  if (block.type === 'markdown' && typeof block.text === 'string') return { ...block, text: await one(block.text) };
  const text = block.text as { type?: string; text?: unknown } | undefined;
  if (block.type === 'section' && text && typeof text.text === 'string') return { ...block, text: { ...text, text: await one(text.text) } };
  return block;
}

/** The text and section/markdown block text of a message, as the app wrote it. */
function proseOf(args: Args): string {
  const blocks = Array.isArray(args.blocks) ? (args.blocks as Args[]) : [];
  const texts = blocks.map((b) => (b.type === 'markdown' ? b.text : (b.text as { text?: unknown } | undefined)?.text));
  return [args.text, ...texts].filter((t): t is string => typeof t === 'string').join('\n');
}

/** Broadcast and group mentions made inert unless the channel allows them; user mentions the app wrote stay. */
function inertArgs(args: Args, written: string, channel: string | undefined, allowBroadcast: readonly string[] | undefined): Args {
  const allowed = pingable(written, { broadcast: channel !== undefined && broadcastAllowed(allowBroadcast, slackPlace(channel).key) });
  const inert = (t: unknown): unknown => (typeof t === 'string' ? inertSlackMentions(t, allowed).text : t);
  const out: Args = { ...args, ...(args.text !== undefined ? { text: inert(args.text) } : {}) };
  if (Array.isArray(args.blocks)) {
    out.blocks = (args.blocks as Args[]).map((b) => {
      if (b.type === 'markdown') return { ...b, text: inert(b.text) };
      const text = b.text as Args | undefined;
      return b.type === 'section' && text ? { ...b, text: { ...text, text: inert(text.text) } } : b;
    });
  }
  return out;
}
