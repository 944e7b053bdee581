/**
 * Process roles, with real processes: `restyle bot --only web` acks Slack mentions and only enqueues them;
 * `restyle bot --only jobs` (no port, no Slack receiver) answers them through the Slack Web API. They share
 * a redis-server, or the SQLite file (WAL) on one machine. The web process is given a model and a Slack API
 * of its own, so any job it ran would show up there (and be missing from the jobs process's side).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventRequest, sendSigned, startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { runInProcess } from '../support/cli.js';
import { startRedis } from '../support/redis.js';
import { tmpDir } from '../support/tmp.js';
import { killAllBots, startBot, writeConfig, type BotProcess } from './bot-process.js';

const ANSWER_PROMPT = 'ANSWER-SOURCE';
const CHANNEL = 'CGENERAL';
const ASKER = 'UANA';
const SECRET = 'roles-signing-secret';
const BATCH = 10;

let model: FakeOpenAI;
let webModel: FakeOpenAI;
let slack: FakeSlack;
let webSlack: FakeSlack;
beforeEach(async () => {
  const responder = (body: { messages: Array<{ content: unknown }> }) => {
    const user = String(body.messages.at(-1)!.content);
    return body.messages[0]!.content === ANSWER_PROMPT ? `Answer to ${user}` : user.toUpperCase();
  };
  [model, webModel, slack, webSlack] = await Promise.all([startFakeOpenAI({ responder }), startFakeOpenAI({ responder }), startFakeSlack(), startFakeSlack()]);
});
afterEach(async () => {
  killAllBots();
  await Promise.all([model.close(), webModel.close(), slack.close(), webSlack.close()]);
});

describe.each(['sqlite', 'redis'] as const)('roles: web acks and enqueues, a separate jobs process answers (%s)', (kind) => {
  it('every mention acked by web is answered once by the jobs process; web runs no job', { timeout: 120_000 }, async () => {
    const cwd = tmpDir(`queue-roles-${kind}`);
    writeConfig(cwd, {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${CHANNEL}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT } },
      rateLimits: { replies: { points: 0 } },
    });
    const redis = kind === 'redis' ? await startRedis() : undefined;
    const shared = { OPENAI_API_KEY: 'sk-roles', SLACK_BOT_TOKEN: 'xoxb-roles-0123456789', SLACK_SIGNING_SECRET: SECRET, RESTYLE_DATA_DIR: `${cwd}/data`, ...(redis ? { REDIS_URL: redis.url } : {}) };
    const web = await startBot(cwd, { ...shared, OPENAI_BASE_URL: webModel.url, SLACK_API_URL: webSlack.url }, ['--only', 'web']);
    expect(web.logs()).toMatch(/jobs: not run here \(roles web\)/);

    const sent: string[] = [];
    const mention = async (i: number): Promise<void> => {
      // The bot user id comes from the web process's auth.test (its own fake Slack).
      const text = `<@${webSlack.bot.userId}> question ${i}`;
      const ts = slack.addMessage({ channel: CHANNEL, text, user: ASKER });
      sent.push(ts);
      const res = await sendSigned(`${web.base}/slack/events`, eventRequest({ type: 'app_mention', user: ASKER, text, ts, channel: CHANNEL }), { secret: SECRET });
      expect(res.status).toBe(200);
    };
    // Acked while no process runs jobs: the work waits in the queue.
    await Promise.all(Array.from({ length: BATCH }, (_, i) => mention(i)));
    await vi.waitFor(async () => expect(await metric(web, 'restyle_queue_depth')).toBe(BATCH), { timeout: 10_000, interval: 100 });

    const jobs = await startBot(cwd, { ...shared, OPENAI_BASE_URL: model.url, SLACK_API_URL: slack.url }, ['--only', 'jobs']);
    expect(jobs.logs()).toMatch(/jobs: running/);
    expect(jobs.logs()).not.toMatch(/listening on port/);
    await expect(fetch(`${jobs.base}/healthz`)).rejects.toThrow();
    // And while both run.
    await Promise.all(Array.from({ length: BATCH }, (_, i) => mention(BATCH + i)));

    const answersTo = (ts: string) => slack.messages(CHANNEL).filter((m) => m.thread_ts === ts && m.text.toUpperCase().startsWith('ANSWER TO'));
    await vi.waitFor(() => expect(sent.filter((ts) => answersTo(ts).length === 0)).toEqual([]), { timeout: 60_000, interval: 100 });
    // `/v1/post` taken by web, posted by the jobs process through its own Slack client; web answers with the job's result.
    const post = await fetch(`${web.base}/v1/post`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `roles-${kind}` }, body: JSON.stringify({ channel: `slack:${CHANNEL}`, text: 'release notes' }) });
    const posted = (await post.json()) as { id?: string; text?: string };
    expect(post.status, JSON.stringify(posted)).toBe(200);
    expect(posted.text).toBe('RELEASE NOTES');
    expect(slack.messages(CHANNEL).filter((m) => m.text === 'RELEASE NOTES').map((m) => m.ts)).toEqual([posted.id]);
    await vi.waitFor(async () => expect(await metric(web, 'restyle_queue_depth')).toBe(0), { timeout: 30_000, interval: 200 });
    const counts = sent.map((ts) => answersTo(ts).length);
    const webPosts = webSlack.callsTo('chat.postMessage').length;
    console.log(
      `chaos queue-roles (${kind}): ${sent.length} mentions acked by --only web (${BATCH} before any jobs process ran), answered by --only jobs: ${counts.filter((n) => n === 1).length} once, ${counts.filter((n) => n === 0).length} lost, ${counts.filter((n) => n > 1).length} duplicated; the web process made ${webModel.requests.length} model calls and ${webPosts} posts`,
    );
    expect(counts.every((n) => n === 1)).toBe(true);
    // The web process never ran a job: its own model and Slack API saw no answer work.
    expect(webModel.requests).toHaveLength(0);
    expect(webPosts).toBe(0);
    expect(await jobs.stop()).toBe(0);
    expect(await web.stop()).toBe(0);
  });
});

describe('restyle bot --only', () => {
  it('names the old `worker` role as renamed, and an unknown role, in one usage line', async () => {
    const cwd = tmpDir('roles-usage');
    const old = await runInProcess(['bot', '--only', 'worker'], { cwd });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('--only worker was renamed: use --only gateway for the Discord gateway');
    const bad = await runInProcess(['bot', '--only', 'web,queue'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"queue" is not a role; expected web, gateway or jobs');
  });

  it('--help names the roles', async () => {
    const help = await runInProcess(['bot', '--help'], { cwd: tmpDir('roles-help') });
    expect(help.stdout).toMatch(/^ {2}jobs {5}the queue workers for every enabled platform/m);
    expect(help.stdout).toContain('worker = --only jobs');
  });
});

async function metric(bot: BotProcess, name: string): Promise<number> {
  const text = await (await fetch(`${bot.base}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : NaN;
}
