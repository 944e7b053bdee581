/**
 * Chaos: the style model misbehaves (429 with Retry-After, 500 on every request, never answering) while
 * real answers flow through every real path at once:
 * - a Slack `app_mention` through the real Bolt receiver (signed HTTP), answered by the answer source and
 *   posted in the thread with `chat.postMessage` on the fake Slack Web API;
 * - `POST /v1/post` (restyle + chat.postMessage) and `POST /v1/restyle` on restyle's HTTP server;
 * - `restyle()` called directly.
 * Every answer must be posted/returned (fail-open: the neutral text; styled when a 429 recovers in time),
 * none lost, none twice, and a hang is cut off by `restyle.deadlineMs`, not by the fault. How close to the
 * deadline the answers come is a speed goal, measured in bench/failopen.bench.ts (no wall-clock limit
 * here: a busy machine is slow). The answer source is a separate, healthy endpoint, so
 * what is measured is the style model's fault alone. One line of figures is printed per scenario.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type RouteHandler } from '../fakes/openai.js';
import { eventRequest } from '../fakes/slack.js';
import { channelId, startSlackHarness, userId, type SlackHarness } from '../adapters/slack/harness.js';

const DEADLINE_MS = 2000;
/** For the 429 that recovers: room for the 1 s Retry-After and the retry however busy the machine is. */
const RECOVERY_DEADLINE_MS = 15_000;
const SLACK_EVENTS = 16;
const HTTP_POSTS = 8;
const HTTP_RESTYLES = 8;
const DIRECT = 8;
const ANSWER_PROMPT = 'ANSWER-SOURCE';
const CHANNEL = channelId('general');

let answers: FakeOpenAI;
beforeAll(async () => {
  // The bot's answer source: healthy, so any delay below is the style model's.
  answers = await startFakeOpenAI({ responder: (body) => `Answer to ${String(body.messages.at(-1).content)}.` });
});
afterAll(async () => {
  await answers.close();
});

interface Figure {
  path: string;
  /** How this path's texts start, to tell its model requests apart. */
  prefix: string;
  faulted?: number;
  expected: number;
  done: number;
  maxMs: number;
  /** Outputs, for the text assertions. */
  texts: string[];
  /** Why unstyled, where the path reports it. */
  reasons: Array<string | undefined>;
  /** Each answer's reason with how long it took (restyle() only). */
  timed?: Array<{ r: string | undefined; ms: number }>;
}

interface Scenario {
  name: string;
  /** Arms the style model's fault. */
  arm(model: FakeOpenAI): void;
  /** Whether answers come back styled (the fault recovered within the deadline) or neutral. */
  styled: boolean;
  /** `restyle.deadlineMs` (default DEADLINE_MS). */
  deadlineMs?: number;
  /** Acceptable `reason` codes for unstyled answers. */
  reasons?: string[];
}

/** Requests the 429 window refused (by `seq`), for the figures. */
const rateLimited = new Set<number>();
/** 429 with `Retry-After: 1` for every request arriving in the 400 ms after the first one, then healthy. */
const RATE_LIMIT_WINDOW_MS = 400;
const rateLimitedThenRecovers = (): RouteHandler => {
  let first: number | undefined;
  return async (ctx) => {
    first ??= Date.now();
    if (Date.now() - first < RATE_LIMIT_WINDOW_MS) {
      rateLimited.add(ctx.request.seq);
      return ctx.error(429, 'Rate limit reached for requests', { type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } });
    }
    return ctx.fake.complete(ctx.request.body, ctx.request);
  };
};

const EVERY = 100_000;
const scenarios: Scenario[] = [
  {
    name: 'model-429',
    arm: (model) => model.route('POST', /^\/v1\/chat\/completions$/, rateLimitedThenRecovers()),
    styled: true,
    deadlineMs: RECOVERY_DEADLINE_MS,
  },
  {
    name: 'model-429-retry-after-30s',
    arm: (model) => model.failNext(EVERY, { status: 429, headers: { 'retry-after': '30' } }),
    styled: false,
    // The 30 s pause shows in the endpoint's queue: later answers are refused at once (overload) instead of waiting it out.
    reasons: ['deadline_exceeded', 'overloaded'],
  },
  {
    name: 'model-500',
    arm: (model) => model.failNext(EVERY, { status: 500 }),
    styled: false,
    reasons: ['llm_unavailable', 'deadline_exceeded'],
  },
  {
    name: 'model-hang',
    arm: (model) => model.hangNext(EVERY),
    styled: false,
    // On a busy machine a path can join after the first hung calls ran out their deadline: the queue then
    // knows it cannot finish in time and refuses at once (overload), as it should.
    reasons: ['deadline_exceeded', 'overloaded'],
  },
];

async function startBot(model: FakeOpenAI, deadlineMs: number): Promise<SlackHarness> {
  const h = await startSlackHarness({
    config: {
      styles: { loud: { model: 'loud-1', baseUrl: model.url } },
      channels: { [`slack:${CHANNEL}`]: 'loud' },
      restyle: { deadlineMs, requestTimeoutMs: 400, maxRetries: 2, cacheTtlSeconds: 0 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT, timeoutMs: 5000 } },
    },
    env: { OPENAI_API_KEY: 'sk-chaos', OPENAI_BASE_URL: answers.url },
  });
  // As app/main.ts does, so POST /v1/post reaches this Slack.
  h.http.addPoster('slack', h.running.post);
  return h;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json, ms: performance.now() - t0 };
}

/** Resolves when the bot is idle, or rejects after `ms` (a hang must fail with figures, not time out). */
async function settleWithin(h: SlackHarness, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([h.settle(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`bot still busy after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(scenario: Scenario): Promise<Figure[]> {
  const model = await startFakeOpenAI();
  const deadlineMs = scenario.deadlineMs ?? DEADLINE_MS;
  const h = await startBot(model, deadlineMs);
  const base = `http://127.0.0.1:${(h.http.server.address() as { port: number }).port}`;
  try {
    // Warm both endpoints' connections and Bolt so the first answers are not timed with start-up.
    expect((await h.ctx.restyler.restyle('warm up', { style: 'loud' })).text).toBe('WARM UP');
    model.reset();
    answers.requests.length = 0;

    rateLimited.clear();
    scenario.arm(model);

    // Slack first: signed Events API requests to the real receiver, answered in the thread.
    const sent = new Map<string, number>();
    const slack = Array.from({ length: SLACK_EVENTS }, async (_, i) => {
      const text = `<@${h.fake.bot.userId}> slack question ${i}`;
      const ts = h.fake.addMessage({ channel: CHANNEL, text, user: userId('ana') });
      sent.set(ts, Date.now());
      const res = await h.send(eventRequest({ type: 'app_mention', user: userId('ana'), text, ts, channel: CHANNEL }));
      expect(res.status).toBe(200);
    });
    // The other paths join once the first Slack answer reached the model, so a fault that only the first
    // callers see (the 429 window: after it the whole endpoint waits out Retry-After) hits Slack's answers.
    await vi.waitFor(() => expect(model.requestsTo('/chat/completions').length).toBeGreaterThan(0), { timeout: 15_000, interval: 2 });
    const posts = Array.from({ length: HTTP_POSTS }, (_, i) => postJson(`${base}/v1/post`, { channel: `slack:${CHANNEL}`, text: `relay post ${i}.` }));
    const restyles = Array.from({ length: HTTP_RESTYLES }, (_, i) => postJson(`${base}/v1/restyle`, { text: `api text ${i}.`, channel: `slack:${CHANNEL}` }));
    const direct = Array.from({ length: DIRECT }, async (_, i) => {
      const started = performance.now();
      const r = await h.ctx.restyler.restyle(`direct text ${i}.`, { channel: `slack:${CHANNEL}` });
      return { r, ms: performance.now() - started };
    });

    const [, postResults, restyleResults, directResults] = await Promise.all([Promise.all(slack), Promise.all(posts), Promise.all(restyles), Promise.all(direct)]);
    await settleWithin(h, deadlineMs + 10_000);

    const threadPosts = h.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts !== undefined && sent.has(String(c.args.thread_ts)));
    // An HTTP path's figure: answered 200, slowest request, and what came back.
    const httpFigure = (path: string, prefix: string, expected: number, results: typeof postResults): Figure => {
      const ok = results.filter((r) => r.status === 200);
      return {
        path,
        prefix,
        expected,
        done: ok.length,
        maxMs: Math.max(0, ...results.map((r) => r.ms)),
        texts: ok.map((r) => String(r.json.text)),
        reasons: ok.map((r) => r.json.reason as string | undefined),
      };
    };
    const figures: Figure[] = [
      {
        path: 'slack',
        prefix: 'Answer to slack question',
        expected: SLACK_EVENTS,
        done: new Set(threadPosts.map((c) => String(c.args.thread_ts))).size,
        maxMs: Math.max(0, ...threadPosts.map((c) => c.at - sent.get(String(c.args.thread_ts))!)),
        texts: threadPosts.map((c) => String(c.args.text)),
        // SlackActions names the style in the message metadata only when the text went out styled.
        reasons: threadPosts.map((c) => (c.args.metadata?.event_payload?.style ? undefined : 'unstyled')),
      },
      httpFigure('/v1/post', 'relay post', HTTP_POSTS, postResults),
      httpFigure('/v1/restyle', 'api text', HTTP_RESTYLES, restyleResults),
      {
        path: 'restyle()',
        prefix: 'direct text',
        expected: DIRECT,
        done: directResults.length,
        maxMs: Math.max(0, ...directResults.map((r) => r.ms)),
        texts: directResults.map((r) => r.r.text),
        reasons: directResults.map((r) => r.r.reason),
        timed: directResults.map((x) => ({ r: x.r.reason, ms: x.ms })),
      },
    ];
    const modelCalls = model.requestsTo('/chat/completions');
    for (const f of figures) {
      const mine = modelCalls.filter((r) => String(r.body?.messages?.at(-1)?.content ?? '').startsWith(f.prefix));
      f.faulted = mine.filter((r) => r.fault !== undefined || rateLimited.has(r.seq)).length;
    }

    const total = figures.reduce((n, f) => n + f.expected, 0);
    const done = figures.reduce((n, f) => n + f.done, 0);
    const max = Math.max(...figures.map((f) => f.maxMs));
    const faulted = figures.reduce((n, f) => n + (f.faulted ?? 0), 0);
    const parts = figures.map((f) => `${f.path} ${f.done}/${f.expected} max ${Math.round(f.maxMs)} ms`).join(', ');
    console.log(
      `chaos ${scenario.name}: ${done}/${total} answers posted, max ${Math.round(max)} ms (deadline ${deadlineMs} ms) [${parts}; ${faulted}/${modelCalls.length} model requests faulted]`,
    );

    // The fault really happened, to Slack's answers too.
    expect(faulted).toBeGreaterThan(0);
    expect(figures[0]!.faulted).toBeGreaterThan(0);
    // Nothing but the thread answers and the relay posts reached Slack: no apology notes, nothing twice.
    expect(h.fake.callsTo('chat.postEphemeral')).toEqual([]);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(SLACK_EVENTS + HTTP_POSTS);
    return figures;
  } finally {
    await h.close();
    await model.close();
  }
}

describe('chaos: the style model fails while answers flow through Slack, the HTTP API and restyle()', () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: every answer is posted ${scenario.styled ? 'styled after the retry' : 'unstyled (fail-open)'} within the deadline`, async () => {
      const figures = await run(scenario);
      for (const f of figures) {
        expect({ path: f.path, done: f.done }).toEqual({ path: f.path, done: f.expected });
        for (const text of f.texts) {
          // Neutral texts are lower case after the first word; the fake style upper-cases everything.
          if (scenario.styled) expect(text).toBe(text.toUpperCase());
          else expect(text).not.toBe(text.toUpperCase());
        }
        for (const reason of f.reasons) {
          if (scenario.styled) expect(reason).toBeUndefined();
          else if (f.path !== 'slack') expect(scenario.reasons).toContain(reason);
          else expect(reason).toBe('unstyled');
        }
      }
      if (scenario.name === 'model-hang') {
        // Bounded by the deadline, not by the fault: no answer that waited for the model came back much before it.
        for (const { r, ms } of figures.find((f) => f.path === 'restyle()')!.timed ?? []) {
          if (r === 'deadline_exceeded') expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
        }
        // The paths join within moments of the first hung call, so some of them waited out the deadline.
        expect(figures.flatMap((f) => f.reasons)).toContain('deadline_exceeded');
      }
    }, 60_000);
  }
});
