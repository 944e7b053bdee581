/**
 * Property-based fuzzing of the Slack front door: random and malformed slash commands, event callbacks and
 * interactivity payloads POSTed to the real Bolt receiver on restyle's HTTP server, signed the way Slack
 * signs (v0 HMAC-SHA256) or signed wrongly. Whatever arrives: never a 5xx, never a hung or late (>3 s)
 * answer, never a stack trace in a response or a log line; a refusal is a one-line JSON error; a
 * well-formed /restyle or button press always gets a reply the person can see; the process keeps serving.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { commandRequest, signSlackRequest } from '../fakes/slack.js';
import { SIGNING_SECRET, channelId, startSlackHarness, userId, type SlackHarness } from '../adapters/slack/harness.js';

const ANSWER = 'ANSWER-SOURCE';
const OURS = '<our response_url>';
const UNIQUE = '<unique event id>';
const STACK = /\\n\s+at |\bat [^\s]+ \(.*:\d+:\d+\)|\(file:\/\/|node:internal/;

let model: FakeOpenAI;
let h: SlackHarness;
const logs: string[] = [];
let ids = 0;

beforeAll(async () => {
  model = await startFakeOpenAI();
  model.setResponder((body: { messages: Array<{ content: string }> }) => {
    const user = body.messages.at(-1)?.content ?? '';
    return body.messages[0]?.content === ANSWER ? `Answer to ${user}` : user.toUpperCase();
  });
  h = await startSlackHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${channelId('general')}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 2000 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER } },
    },
    env: { OPENAI_API_KEY: 'sk-fuzz', OPENAI_BASE_URL: model.url },
    logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logs.push(line) } as never }),
  });
});
afterAll(async () => {
  await h?.close();
  await model?.close();
});

type Signing = 'valid' | 'bad-signature' | 'wrong-secret' | 'stale' | 'unsigned';

interface Answer {
  status: number;
  body: string;
}

async function post(body: string, contentType: string, signing: Signing = 'valid'): Promise<Answer> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  if (signing !== 'unsigned') {
    const secret = signing === 'wrong-secret' ? 'someone-elses-secret' : SIGNING_SECRET;
    const timestamp = Math.floor(Date.now() / 1000) - (signing === 'stale' ? 6 * 60 : 0);
    Object.assign(headers, signSlackRequest(secret, body, { timestamp }));
    if (signing === 'bad-signature') headers['x-slack-signature'] = `v0=${'0'.repeat(64)}`;
  }
  const res = await fetch(h.eventsUrl, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text };
}

/** What Slack may get back from us for a correctly signed request, whatever its content. */
function expectSaneAnswer(res: Answer): void {
  expect(res.status, res.body).toBeOneOf([200, 400, 404]);
  expect(res.body).not.toMatch(STACK);
  if (res.status !== 200) {
    const json = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(json.error.code).toMatch(/^[a-z_]+$/);
    expect(json.error.message.length).toBeGreaterThan(10);
    expect(json.error.message).not.toContain('\n');
  }
}

function form(fields: Record<string, unknown>, repeat: readonly string[] = []): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    const value = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
    params.append(k, value);
    if (repeat.includes(k)) params.append(k, `${value}-again`);
  }
  return params.toString();
}

/** Replace the markers with a live response_url (returned) and unique event ids. */
function materialize<T>(value: T): { value: T; responseId: string | undefined } {
  let responseId: string | undefined;
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (v === OURS) {
      const url = h.fake.responseUrl();
      responseId = url.slice(url.lastIndexOf('/') + 1);
      return url;
    }
    if (v === UNIQUE) return `EvFUZZ${++ids}`;
    return v;
  });
  return { value: (json === undefined ? value : JSON.parse(json)) as T, responseId };
}

/** What the person behind a response_url was shown (response_url posts; ephemeral posts as the fallback). */
function repliesTo(responseId: string): string[] {
  return h.fake.responses.filter((r) => r.id === responseId).map((r) => String(r.body.text ?? ''));
}

// ---------- generators ----------
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const json = fc.jsonValue({ maxDepth: 2 });
const slackUser = fc.constantFrom(userId('ana'), userId('ben'));
const slackChannel = fc.constantFrom(channelId('general'), channelId('random'), 'D0DIRECT');
const ts = fc.oneof(fc.constantFrom('1700000000.000001', '1700000001.000002'), text);
const commandText = fc.oneof(
  fc.constantFrom('', 'help', 'styles', 'status', 'review', 'map', 'map loud', 'map nope', 'unmap', 'style=loud Ship it.', 'style=nope hi', 'Your order shipped <@UANA> https://x.io `code`'),
  text,
);

const commandFields = fc.record(
  {
    command: fc.oneof(fc.constant('/restyle'), fc.constant('/other'), text),
    text: commandText,
    user_id: fc.oneof(slackUser, text),
    channel_id: fc.oneof(slackChannel, text),
    response_url: fc.oneof(fc.constant(OURS), text),
    trigger_id: text,
    team_id: fc.constantFrom('T0FAKE', ''),
    api_app_id: fc.constant('A0FAKE'),
  },
  { requiredKeys: [] },
);
const commandBody = fc.record({
  fields: commandFields,
  extra: fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 2 }),
  repeat: fc.subarray(['command', 'text', 'user_id', 'channel_id']),
});

const eventInner = fc.oneof(
  json,
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('app_mention', 'message', 'reaction_added', 'reaction_removed', 'member_joined_channel'), text),
      user: fc.oneof(slackUser, json),
      text: fc.oneof(commandText, json),
      channel: fc.oneof(slackChannel, json),
      channel_type: fc.constantFrom('im', 'channel', 'group'),
      subtype: fc.constantFrom('message_deleted', 'bot_message', 'message_changed'),
      deleted_ts: fc.oneof(ts, json),
      ts: fc.oneof(ts, json),
      thread_ts: ts,
      bot_id: fc.constantFrom('BOTHER'),
      reaction: fc.oneof(fc.constantFrom('star', '+1', '-1', 'star::skin-tone-2', 'tada'), text),
      item: fc.oneof(json, fc.record({ type: fc.constantFrom('message', 'file'), channel: fc.oneof(slackChannel, json), ts: fc.oneof(ts, json) }, { requiredKeys: [] })),
      item_user: fc.oneof(slackUser, json),
    },
    { requiredKeys: [] },
  ),
);
const eventBody = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('event_callback', 'app_rate_limited', 'url_verification'), text),
      event: eventInner,
      event_id: fc.oneof(fc.constant(UNIQUE), json),
      team_id: fc.constant('T0FAKE'),
      api_app_id: fc.constant('A0FAKE'),
      authorizations: fc.oneof(fc.constant([{ team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true }]), json),
      challenge: text,
    },
    { requiredKeys: [] },
  ),
  json,
);

const actionId = fc.oneof(fc.constantFrom('restyle_post', 'restyle_edit', 'restyle_save', 'restyle_discard', 'review_approve', 'review_reject'), text);
const metadata = fc.oneof(text, json.map((v) => JSON.stringify(v) ?? ''), fc.record({ id: text, channel: slackChannel, responseUrl: fc.constant(OURS) }, { requiredKeys: [] }).map((m) => JSON.stringify(m)));
const interactionPayload = fc.oneof(
  json,
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('block_actions', 'view_submission', 'view_closed', 'message_action', 'shortcut', 'block_suggestion', 'dialog_submission'), text),
      user: fc.oneof(fc.record({ id: slackUser, team_id: fc.constant('T0FAKE') }), json),
      team: fc.oneof(fc.constant({ id: 'T0FAKE', domain: 'fake' }), json),
      actions: fc.oneof(json, fc.array(fc.record({ type: fc.constant('button'), action_id: actionId, value: fc.oneof(text, json), block_id: text }, { requiredKeys: ['action_id'] }), { maxLength: 2 })),
      channel: fc.oneof(fc.record({ id: slackChannel }), json),
      container: fc.oneof(fc.record({ type: fc.constant('message'), channel_id: slackChannel, thread_ts: ts, is_ephemeral: fc.boolean() }, { requiredKeys: [] }), json),
      view: fc.oneof(
        json,
        fc.record(
          {
            callback_id: fc.oneof(fc.constant('restyle_edit'), text),
            private_metadata: metadata,
            state: fc.oneof(json, fc.record({ values: fc.oneof(json, fc.constant({ styled: { text: { type: 'plain_text_input', value: 'Edited.' } } })) })),
          },
          { requiredKeys: [] },
        ),
      ),
      callback_id: fc.oneof(fc.constantFrom('restyle_message', 'save_sample'), text),
      message: fc.oneof(json, fc.record({ type: fc.constant('message'), ts: fc.oneof(ts, json), text: fc.oneof(commandText, json), user: fc.oneof(slackUser, json) }, { requiredKeys: [] })),
      trigger_id: text,
      response_url: fc.oneof(fc.constant(OURS), text),
      name: text,
    },
    { requiredKeys: [] },
  ),
);

const isId = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * The fields of a press the way Slack sends them (https://api.slack.com/reference/interaction-payloads/block-actions):
 * `team` and `enterprise` an object or null, `channel` and `container` objects, a button's `value` a string.
 * The generator also draws any JSON there, which is refused with a 400 before Bolt sees it.
 */
const slackShapedPress = (p: Record<string, unknown>, actions: unknown[]): boolean =>
  (p.team === undefined || p.team === null || (isObject(p.team) && (p.team.id === undefined || typeof p.team.id === 'string'))) &&
  (p.enterprise === undefined || p.enterprise === null || isObject(p.enterprise)) &&
  (p.channel === undefined || (isObject(p.channel) && (p.channel.id === undefined || typeof p.channel.id === 'string'))) &&
  (p.container === undefined || isObject(p.container)) &&
  actions.every((a) => isObject(a) && (a.value === undefined || typeof a.value === 'string') && (a.action_id === undefined || typeof a.action_id === 'string'));
const RUNS = { numRuns: 150 };

describe('Slack receiver fuzz', () => {
  it('slash commands: a sane answer within 3 s; a well-formed /restyle always gets a reply', async () => {
    await fc.assert(
      fc.asyncProperty(commandBody, async ({ fields, extra, repeat }) => {
        const { value, responseId } = materialize({ ...extra, ...fields });
        const res = await post(form(value, repeat), 'application/x-www-form-urlencoded');
        expectSaneAnswer(res);
        await h.settle();
        const f = value as Record<string, unknown>;
        const wellFormed = f.command === '/restyle' && isId(f.user_id) && isId(f.channel_id) && repeat.length === 0;
        if (wellFormed) {
          expect(res.status).toBe(200);
          if (responseId && typeof f.response_url === 'string') {
            const replies = repliesTo(responseId);
            expect(replies).toHaveLength(1);
            expect(replies[0]!.length).toBeGreaterThan(0);
            expect(replies[0]).not.toMatch(STACK);
          }
        }
      }),
      RUNS,
    );
  });

  it('event callbacks: a sane answer within 3 s, acked (200) whenever the event has a type', async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, async (body) => {
        const { value } = materialize(body);
        const res = await post(JSON.stringify(value), 'application/json');
        expectSaneAnswer(res);
        // Shaped like what Slack sends (a typed event whose ids are strings): always acknowledged.
        const b = value as { type?: unknown; event?: Record<string, unknown> | null; event_id?: unknown; authorizations?: unknown } | null;
        const e = typeof b === 'object' && b !== null && typeof b.event === 'object' && b.event !== null && !Array.isArray(b.event) ? b.event : undefined;
        const plausible =
          e !== undefined &&
          b!.type !== 'url_verification' &&
          isId(e.type) &&
          ['channel', 'user'].every((k) => e[k] === undefined || typeof e[k] === 'string') &&
          (e.item === undefined || (typeof e.item === 'object' && e.item !== null && !Array.isArray(e.item))) &&
          (b!.event_id === undefined || typeof b!.event_id === 'string') &&
          (b!.authorizations === undefined || (Array.isArray(b!.authorizations) && b!.authorizations.every((a) => typeof a === 'object' && a !== null && !Array.isArray(a))));
        if (plausible) expect(res.status).toBe(200);
        await h.settle();
      }),
      RUNS,
    );
  });

  it('interactivity payloads: a sane answer within 3 s; a well-formed button press always gets a reply', async () => {
    await fc.assert(
      fc.asyncProperty(interactionPayload, async (payload) => {
        const { value, responseId } = materialize(payload);
        const res = await post(form({ payload: value }), 'application/x-www-form-urlencoded');
        expectSaneAnswer(res);
        await h.settle();
        const p = value as Record<string, unknown> | null;
        if (typeof p !== 'object' || p === null) return;
        const user = p.user as { id?: unknown } | undefined;
        const actions = p.actions as Array<{ action_id?: unknown }> | undefined;
        const ours = typeof actions?.[0]?.action_id === 'string' && /^(restyle|review)_(post|edit|save|discard|approve|reject)$/.test(actions[0].action_id);
        const wellFormedPress = p.name === undefined && p.type === 'block_actions' && isId(user?.id) && Array.isArray(actions) && slackShapedPress(p, actions) && ours;
        if (wellFormedPress && responseId && typeof p.response_url === 'string') {
          expect(res.status).toBe(200);
          expect(repliesTo(responseId)).toEqual([expect.stringMatching(/expired|already used|Only /)]);
        }
        const view = p.view as { callback_id?: unknown; private_metadata?: unknown } | undefined;
        if (p.type === 'view_submission' && p.name === undefined && p.actions === undefined && isId(user?.id) && view?.callback_id === 'restyle_edit' && typeof view.private_metadata === 'string') {
          let meta: unknown;
          try {
            meta = JSON.parse(view.private_metadata);
          } catch {
            meta = null;
          }
          if (!isId((meta as { id?: unknown } | null)?.id)) {
            // The modal says what is wrong instead of closing silently.
            expect(res.status).toBe(200);
            expect(JSON.parse(res.body)).toMatchObject({ response_action: 'errors', errors: { styled: expect.stringMatching(/preview/) } });
          }
        }
      }),
      RUNS,
    );
  });

  it('raw garbage bodies under any content type: a sane answer within 3 s', async () => {
    const body = fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), json.map((v) => JSON.stringify(v) ?? ''));
    const type = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'text/plain', 'multipart/form-data', '');
    await fc.assert(
      fc.asyncProperty(body, type, async (b, t) => {
        expectSaneAnswer(await post(b, t));
      }),
      RUNS,
    );
    await h.settle();
  });

  it('wrong, foreign, stale or missing signatures: 401 for anything, and nothing is handled', async () => {
    await h.settle();
    const before = { calls: h.fake.calls.length, responses: h.fake.responses.length, model: model.requests.length };
    const anyBody = fc.oneof(
      commandBody.map(({ fields }) => ({ body: form(materialize(fields).value), type: 'application/x-www-form-urlencoded' })),
      eventBody.map((b) => ({ body: JSON.stringify(materialize(b).value), type: 'application/json' })),
      interactionPayload.map((p) => ({ body: form({ payload: materialize(p).value }), type: 'application/x-www-form-urlencoded' })),
      fc.constant({ body: commandRequest({ text: 'help', user: userId('ana'), channel: channelId('general'), responseUrl: h.fake.responseUrl() }).body, type: 'application/x-www-form-urlencoded' }),
    );
    await fc.assert(
      fc.asyncProperty(anyBody, fc.constantFrom<Signing>('bad-signature', 'wrong-secret', 'stale', 'unsigned'), async ({ body, type }, signing) => {
        // ssl_check is the one request Slack sends unsigned; Bolt answers it without handling anything.
        fc.pre(!/(^|&)ssl_check=1(&|$)/.test(body));
        const res = await post(body, type, signing);
        expect(res.status).toBe(401);
        expect(res.body).not.toMatch(STACK);
      }),
      RUNS,
    );
    await h.settle();
    expect({ calls: h.fake.calls.length, responses: h.fake.responses.length, model: model.requests.length }).toEqual(before);
  });

  it('afterwards: still serving, no 5xx ever, no stack trace in any log line', async () => {
    expect(h.running.ready()).toBe(true);
    const responseUrl = h.fake.responseUrl();
    const res = await h.send(commandRequest({ text: 'Still here.', user: userId('ana'), channel: channelId('general'), responseUrl }));
    expect(res.status).toBe(200);
    await h.settle();
    expect(repliesTo(responseUrl.slice(responseUrl.lastIndexOf('/') + 1))).toEqual(['STILL HERE.']);

    const counted = (await h.ctx.metrics.httpRequests.get()).values;
    expect(counted.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(300);
    expect(counted.filter((v) => String(v.labels.status).startsWith('5'))).toEqual([]);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => STACK.test(line))).toEqual([]);
  });
});
