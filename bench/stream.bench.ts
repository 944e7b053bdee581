/**
 * Streaming (issue 16): a 10-block answer streamed by the fake answer model at 50 tokens/s, the style model
 * answering in 200 ms, through the real Slack and Discord adapters (test harnesses on the fakes) and the
 * HTTP API. Times are taken at the fakes (when each post, stream call or edit arrived), from the mention.
 * - first styled text visible ÷ today's path (stream off: the whole answer, styled, then posted);
 * - full styled answer ÷ the same answer streamed unstyled (an unmapped channel), both streamed and paced;
 * - write calls counted at the fakes against the documented limits (Slack chat.appendStream Tier 4,
 *   100+/min; post + chat.update fallback 1 call/s; Discord 5 writes per 5 s per channel).
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import OpenAI from 'openai';
import { createHttpServer } from '../adapters/http/server.js';
import { createContext } from '../src/app.js';
import { settingsFrom } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { splitBlocks } from '../src/restyle/blocks.js';
import { channelKey as discordChannel, idFor, startDiscordHarness } from '../test/adapters/discord/harness.js';
import { channelId as slackChannel, startSlackHarness } from '../test/adapters/slack/harness.js';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai.js';
import { tmpDir } from '../test/support/tmp.js';
import type { BenchResult } from './types.js';

const TOKENS_PER_S = 50;
const STYLE_MS = 200;
const TOPICS = ['build', 'deploy', 'database', 'cache', 'queue', 'search', 'billing', 'email', 'metrics', 'backups'];
/** Ten sections, each a heading and a paragraph: ten blocks for the splitter (checked below). */
const ANSWER = TOPICS.map((t, i) => `## ${i + 1}. The ${t}\nThe ${t} service is healthy after the upgrade, with every check green and nothing left for the team to do today. If anything changes, the on-call engineer will post an update in this thread.`).join('\n\n');

type Mode = 'today' | 'streamed' | 'unstyled' | 'fallback';
interface Run {
  first: number;
  last: number;
  /** Write calls (posts, stream calls, edits) at the fake, with their arrival times. */
  writes: Array<{ method: string; at: number }>;
}

function config(mode: Mode, channel: string): Record<string, unknown> {
  return {
    styles: { house: { model: 'house-1' } },
    channels: mode === 'unstyled' ? {} : { [channel]: 'house' },
    restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
    bot: { answer: { source: 'openai', model: 'answer-1', baseUrl: '', stream: mode !== 'today' } },
  };
}

async function slackRun(answers: FakeOpenAI, styler: FakeOpenAI, mode: Mode): Promise<Run> {
  const cfg = config(mode, `slack:${slackChannel('general')}`);
  (cfg.bot as { answer: Record<string, unknown> }).answer.baseUrl = answers.url;
  const h = await startSlackHarness({ config: cfg, env: { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: styler.url } });
  try {
    if (mode === 'fallback') h.fake.refuseStreaming('not_allowed');
    const t0 = Date.now();
    await h.mention('status of everything?', 'ana', 'general');
    await h.settle();
    const writes = h.fake.calls
      .filter((c) => ['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream'].includes(c.method))
      .filter((c) => !(mode === 'fallback' && c.method.endsWith('Stream')))
      .map((c) => ({ method: c.method, at: c.at - t0 }));
    return summarize(writes);
  } finally {
    await h.close();
  }
}

async function discordRun(answers: FakeOpenAI, styler: FakeOpenAI, mode: Mode): Promise<Run> {
  const cfg = config(mode, discordChannel('general'));
  (cfg.bot as { answer: Record<string, unknown> }).answer.baseUrl = answers.url;
  const h = await startDiscordHarness({ config: cfg, env: { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: styler.url } });
  try {
    const id = idFor('channel', 'general');
    const t0 = Date.now();
    await h.mention('status of everything?', 'ana', 'general');
    await h.settle();
    const writes = [...h.fake.requestsTo('POST', new RegExp(`^/channels/${id}/messages$`)), ...h.fake.requestsTo('PATCH', new RegExp(`^/channels/${id}/messages/\\d+$`))].map((r) => ({
      method: r.method,
      at: r.at - t0,
    }));
    return summarize(writes);
  } finally {
    await h.close();
  }
}

function summarize(writes: Run['writes']): Run {
  if (writes.length === 0) throw new Error('stream bench: nothing was posted');
  const times = writes.map((w) => w.at).sort((a, b) => a - b);
  return { first: times[0]!, last: times.at(-1)!, writes };
}

/** Most calls in any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function sseRun(styler: FakeOpenAI): Promise<{ json: number; firstEvent: number; done: number }> {
  const settings = settingsFrom({ styles: { house: { model: 'house-1' } }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } }, { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: styler.url, RESTYLE_DATA_DIR: tmpDir('bench-sse') });
  const ctx = await createContext(settings, { logger: silentLogger() });
  const http = createHttpServer({ ctx });
  const base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  const post = (stream: boolean) => fetch(`${base}/v1/restyle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: ANSWER, style: 'house', stream }) });
  try {
    let t0 = performance.now();
    await (await post(false)).json();
    const json = performance.now() - t0;
    t0 = performance.now();
    const res = await post(true);
    let firstEvent = 0;
    for await (const e of res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())) {
      if (e.event === 'block' && firstEvent === 0) firstEvent = performance.now() - t0;
    }
    return { json, firstEvent, done: performance.now() - t0 };
  } finally {
    await http.close();
    await ctx.close();
  }
}

/**
 * The OpenAI-compatible proxy, through the openai SDK: `today` is the non-streamed request (the whole answer
 * styled, then returned); `streamed` times the first and last styled content chunks; `unstyled` is the same
 * stream with styling off (`X-Restyle-Style: none`).
 */
async function proxyRun(answers: FakeOpenAI, styler: FakeOpenAI): Promise<{ today: number; first: number; last: number; unstyled: number }> {
  const settings = settingsFrom(
    { styles: { house: { model: 'house-1' } }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 }, proxy: { baseUrl: answers.url, apiKeyEnv: 'ANSWER_KEY' } },
    { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: styler.url, ANSWER_KEY: 'sk-answer', RESTYLE_DATA_DIR: tmpDir('bench-proxy') },
  );
  const ctx = await createContext(settings, { logger: silentLogger() });
  const http = createHttpServer({ ctx });
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}/v1`, apiKey: 'local', maxRetries: 0 });
  const messages = [{ role: 'user' as const, content: 'status of everything?' }];
  const streamed = async (style?: string): Promise<{ first: number; last: number }> => {
    const t0 = performance.now();
    const stream = await client.chat.completions.create({ model: 'house/answer-1', messages, stream: true }, style ? { headers: { 'x-restyle-style': style } } : {});
    let first = 0;
    let last = 0;
    for await (const chunk of stream) {
      if (!chunk.choices[0]?.delta.content) continue;
      last = performance.now() - t0;
      if (first === 0) first = last;
    }
    return { first, last };
  };
  try {
    const t0 = performance.now();
    await client.chat.completions.create({ model: 'house/answer-1', messages });
    const today = performance.now() - t0;
    const styledRun = await streamed();
    const plain = await streamed('none');
    return { today, first: styledRun.first, last: styledRun.last, unstyled: plain.last };
  } finally {
    await http.close();
    await ctx.close();
  }
}

export default async function streamBench(): Promise<BenchResult[]> {
  const blocks = splitBlocks(ANSWER).filter((s) => s.kind === 'prose').length;
  if (blocks !== 10) throw new Error(`stream bench: the answer should be 10 blocks, the splitter makes ${blocks}`);
  const answers = await startFakeOpenAI({ responder: () => ANSWER });
  answers.setStreamRate(TOKENS_PER_S);
  const styler = await startFakeOpenAI({ latencyMs: STYLE_MS, responder: (body) => String(body.messages.at(-1).content).toUpperCase() });
  const tokens = ANSWER.match(/\s*\S+\s*/g)!.length;
  const out: BenchResult[] = [];
  const ms = (v: number) => `${Math.round(v)} ms`;
  try {
    for (const platform of ['slack', 'discord'] as const) {
      const run = (mode: Mode) => (platform === 'slack' ? slackRun(answers, styler, mode) : discordRun(answers, styler, mode));
      const today = await run('today');
      const streamed = await run('streamed');
      const unstyled = await run('unstyled');
      const first = streamed.first / today.last;
      const full = streamed.last / unstyled.last;
      out.push({ name: `${platform}: first styled text visible ÷ today's full post`, value: first, unit: '×', goal: '≤0.25×', ok: first <= 0.25, note: `${ms(streamed.first)} vs ${ms(today.last)}; ${tokens} tokens at ${TOKENS_PER_S}/s, style ${STYLE_MS} ms` });
      out.push({ name: `${platform}: full styled answer ÷ unstyled stream finished`, value: full, unit: '×', goal: '≤1.1×', ok: full <= 1.1, note: `${ms(streamed.last)} vs ${ms(unstyled.last)}` });
      const times = streamed.writes.map((w) => w.at);
      if (platform === 'slack') {
        const appends = streamed.writes.filter((w) => w.method === 'chat.appendStream').length;
        out.push({ name: 'slack: chat.appendStream calls in any 60 s', value: maxInWindow(streamed.writes.filter((w) => w.method === 'chat.appendStream').map((w) => w.at), 60_000), unit: 'count', goal: '≤100 (Tier 4)', ok: appends <= 100, note: `${streamed.writes.length} stream calls in all` });
        const fallback = await run('fallback');
        const perSecond = maxInWindow(fallback.writes.map((w) => w.at), 1000);
        out.push({ name: 'slack fallback: postMessage + chat.update in any 1 s', value: perSecond, unit: 'count', goal: '≤1 (+1 for arrival jitter)', ok: perSecond <= 2, note: `${fallback.writes.length} calls; full answer at ${ms(fallback.last)}` });
      } else {
        const per5s = maxInWindow(times, 5000);
        out.push({ name: 'discord: posts + edits in any 5 s', value: per5s, unit: 'count', goal: '≤5 per channel', ok: per5s <= 5, note: `${streamed.writes.length} writes in all` });
      }
    }
    const proxy = await proxyRun(answers, styler);
    out.push({ name: "proxy (openai SDK): first styled chunk ÷ today's non-streamed answer", value: proxy.first / proxy.today, unit: '×', goal: '≤0.25×', ok: proxy.first / proxy.today <= 0.25, note: `${ms(proxy.first)} vs ${ms(proxy.today)}` });
    out.push({ name: 'proxy: full styled stream ÷ unstyled stream finished', value: proxy.last / proxy.unstyled, unit: '×', goal: '≤1.1×', ok: proxy.last / proxy.unstyled <= 1.1, note: `${ms(proxy.last)} vs ${ms(proxy.unstyled)}` });
    const sse = await sseRun(styler);
    out.push({ name: 'http: first SSE event ÷ JSON answer, same 10 blocks', value: sse.firstEvent / sse.json, unit: '×', note: `${ms(sse.firstEvent)} vs ${ms(sse.json)}; the whole text is sent at once, so its blocks are styled in parallel` });
    return out;
  } finally {
    await answers.close();
    await styler.close();
  }
}
