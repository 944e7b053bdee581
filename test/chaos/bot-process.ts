import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { stringify } from 'yaml';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { BIN } from '../support/cli.js';
import { freePort } from '../support/redis-server.js';

/** A real `restyle bot` process (bin/restyle.js), as `npm start` runs it. */
export interface BotProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  logs(): string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** Signal, resolved with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
/** Never leave a bot behind, whatever the test did. */
export function killAllBots(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
}
process.once('exit', killAllBots);

/** The answer model's system prompt in these runs: the one fake model tells answer requests from style requests by it. */
export const ANSWER_PROMPT = 'ANSWER-SOURCE';

/** A bot that asks and restyles its answers: `answer(question)` for the answer prompt, the style (upper case) for anything else. */
export function startChaosModel(answer: (question: string) => string = (q) => `Answer to ${q}`): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    responder: (body) => {
      const user = String(body.messages.at(-1).content);
      return body.messages[0].content === ANSWER_PROMPT ? answer(user) : user.toUpperCase();
    },
  });
}

/** The model requests that asked for an answer (not for its style). */
export const answerRequests = (model: FakeOpenAI) => model.requests.filter((r) => (r.body as { messages?: Array<{ content: string }> } | undefined)?.messages?.[0]?.content === ANSWER_PROMPT);

/** The settings every kill test runs with: a loud style on `channel`, the answer model, a short lease, all mentions at once. */
export function chaosConfig(channel: string, answer: Record<string, unknown> = {}, restyle: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    styles: { loud: { model: 'loud-1' } },
    channels: { [channel]: 'loud' },
    restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 15_000, ...restyle },
    bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT, timeoutMs: 15_000, ...answer } },
    // A short lease so a dead worker's jobs are handed over quickly; all mentions run at once.
    queue: { leaseMs: 2_000, concurrency: 64 },
    // One asker sends every mention: the per-user reply limit (rateLimits.replies) is not what is measured.
    rateLimits: { replies: { points: 0 } },
  };
}

/** Write `config/restyle.yaml` in `cwd` (made if missing). */
export function writeConfig(cwd: string, config: Record<string, unknown>): void {
  mkdirSync(join(cwd, 'config'), { recursive: true });
  writeFileSync(join(cwd, 'config/restyle.yaml'), stringify(config));
}

/** Start `restyle bot` in `cwd` and wait until it serves HTTP (or, without the web role, says the store line). */
export async function startBot(cwd: string, env: Record<string, string>, args: string[] = []): Promise<BotProcess> {
  const port = await freePort();
  let logs = '';
  const child = spawn(process.execPath, [BIN, 'bot', ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (running.delete(child), resolve(code))));
  const only = args[args.indexOf('--only') + 1];
  const ready = args.includes('--only') && !only?.split(',').includes('web') ? /restyle: store/ : new RegExp(`listening on port ${port}`);
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`restyle bot exited ${child.exitCode}:\n${logs}`);
      expect(logs).toMatch(ready);
    },
    { timeout: 30_000, interval: 50 },
  );
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    logs: () => logs,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/** Wait until the bot's queue has nothing left to run (`restyle_queue_depth 0`): no late duplicate can still come. */
export async function waitDrained(bot: BotProcess, timeoutMs = 30_000): Promise<void> {
  await vi.waitFor(async () => expect(await (await fetch(`${bot.base}/metrics`)).text()).toMatch(/^restyle_queue_depth 0$/m), { timeout: timeoutMs, interval: 200 });
}

/** The environment of a Slack bot run against `model` and `slack`, its data in `cwd/data`, on Redis when `redisUrl` is given. */
export function slackChaosEnv(cwd: string, model: { url: string }, slack: { url: string }, secret: string, redisUrl?: string): Record<string, string> {
  return {
    OPENAI_API_KEY: 'sk-chaos',
    OPENAI_BASE_URL: model.url,
    SLACK_BOT_TOKEN: 'xoxb-chaos-0123456789',
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: slack.url,
    RESTYLE_DATA_DIR: `${cwd}/data`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
}
