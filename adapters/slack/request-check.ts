import { parse as parseQuery } from 'node:querystring';
import * as z from 'zod';

/**
 * What every Slack request must look like before Bolt sees it. Bolt assumes Slack's shapes: a signed body
 * of `null` makes its receiver throw outside any handler (an unhandled rejection, which ends a Node
 * process, and a request never answered), and a payload missing a field it reads before `ack()` is
 * answered 500, which Slack retries. Slack itself always sends these fields, so a request without them
 * is refused with a 400 naming the problem, before any work is done.
 */

const id = z.string().min(1);
const obj = z.looseObject({});
/** A field Bolt reads `.id` (or `in`) from when it is present. */
const stringOrObject = z.union([z.string(), obj]);
const user = z.looseObject({ id });
const team = z.looseObject({ id: z.string().optional() }).nullable().optional();

const event = z.looseObject({
  event: z.looseObject({
    type: id,
    channel: stringOrObject.optional(),
    user: stringOrObject.optional(),
    item: obj.optional(),
    subteam: obj.optional(),
  }),
  authorizations: z.array(obj).optional(),
  event_id: z.string().optional(),
});

const command = z.looseObject({
  command: z.string().regex(/^\//, 'must start with "/"'),
  text: z.string().optional(),
  user_id: id,
  channel_id: id,
  response_url: z.string().optional(),
  trigger_id: z.string().optional(),
});

const interactive = { user, team, enterprise: obj.nullable().optional() };

const options = z.looseObject({ ...interactive, channel: obj.optional() });

const action = z.looseObject({
  ...interactive,
  actions: z.array(z.looseObject({ action_id: z.string().optional(), value: z.string().optional() })).min(1),
  channel: z.looseObject({ id: z.string().optional() }).optional(),
  container: obj.optional(),
  response_url: z.string().optional(),
});

const shortcut = z.looseObject({ ...interactive, callback_id: z.string() });

const messageShortcut = z.looseObject({
  ...interactive,
  callback_id: z.string(),
  channel: z.looseObject({ id }),
  message: z.looseObject({ ts: id, text: z.string().optional() }),
  response_url: z.string().optional(),
});

const view = z.looseObject({
  ...interactive,
  view: z.looseObject({
    callback_id: z.string(),
    private_metadata: z.string().optional(),
    state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), obj)) }).optional(),
  }),
});

export type SlackRequestKind = 'url_verification' | 'ssl_check' | 'event' | 'command' | 'options' | 'action' | 'shortcut' | 'view';

export type SlackRequestCheck = { ok: true; kind: SlackRequestKind } | { ok: false; problem: string };

/** Parse a raw body the way Bolt does (form with an optional JSON `payload`, else JSON). Throws on bad JSON. */
export function parseSlackBody(raw: string, contentType: string | undefined): unknown {
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = parseQuery(raw);
    return typeof form.payload === 'string' ? JSON.parse(form.payload) : { ...form };
  }
  return JSON.parse(raw);
}

/** The kind of Slack request, in Bolt's order of precedence; undefined for anything else. */
function kindOf(body: Record<string, unknown>): SlackRequestKind | undefined {
  if (body.ssl_check === '1') return 'ssl_check';
  if (body.type === 'url_verification') return 'url_verification';
  if (body.event !== undefined) return 'event';
  if (body.command !== undefined) return 'command';
  if (body.name !== undefined || body.type === 'block_suggestion') return 'options';
  if (body.actions !== undefined || body.type === 'dialog_submission') return 'action';
  if (body.type === 'shortcut' || body.type === 'message_action') return 'shortcut';
  if (body.type === 'view_submission' || body.type === 'view_closed') return 'view';
  return undefined;
}

/** Whether a parsed body is something Slack sends and Bolt can take; if not, why, in one line. */
export function checkSlackRequest(body: unknown): SlackRequestCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'the body is not a JSON object' };
  const b = body as Record<string, unknown>;
  const kind = kindOf(b);
  if (!kind) return { ok: false, problem: 'not a Slack event, command or interaction (no event, command, actions or known type)' };
  const schema =
    kind === 'event'
      ? event
      : kind === 'command'
        ? command
        : kind === 'options'
          ? options
          : kind === 'action'
            ? b.type === 'dialog_submission'
              ? shortcut
              : action
            : kind === 'shortcut'
              ? b.type === 'message_action'
                ? messageShortcut
                : shortcut
              : kind === 'view'
                ? view
                : undefined;
  if (!schema) return { ok: true, kind };
  const result = schema.safeParse(b);
  if (result.success) return { ok: true, kind };
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return { ok: false, problem: `${kind} payload: ${path}: ${issue.message}` };
}
