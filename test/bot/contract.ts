/**
 * The use-case contract every chat adapter must pass (Slack today, Discord next): each case drives the
 * adapter end-to-end through its platform fake, in neutral terms, and asserts what the fake platform
 * received and what the store holds.
 *
 * To run it for a platform, call `runUseCaseContract('discord', factory)` from a test file, where the
 * factory implements `HarnessFactory`:
 * - `userKey(name)` / `channelKey(name)`: the platform-qualified key (`discord:100…`) a logical user or
 *   channel name ('ana', 'general') maps to. Must be stable and known before `start`, because the
 *   contract writes them into the config (admins, reviewers, channel mappings, allowChannels).
 * - `start(setup)`: build Settings from `setup.config` + `setup.env` plus the platform's own tokens and
 *   fake API URLs, open a fresh store (SQLite in a temp dir is fine), start the adapter exactly as
 *   `restyle bot` does, and make the users in `setup.platformAdmins` platform admins (Slack workspace
 *   admin, Discord Manage Server). Return a `Harness`.
 * - Harness methods send what the platform would send (slash command, button press, modal submission,
 *   message shortcut / context menu, reaction add/remove, message delete, mention) and must resolve once
 *   the platform has accepted the request; `settle()` resolves once the adapter finished everything it
 *   accepted (count in-flight work; never sleep).
 * - Emoji arrive in neutral names (`star`, `+1`, `-1`, the config defaults); map them to what your
 *   platform sends (Discord: ⭐ 👍 👎).
 * - `posts()` lists the public messages the bot posted, in order, with `credit` = the user key a post was
 *   made on behalf of; `ephemerals()` lists what individual users were shown (ephemeral messages,
 *   interaction replies and updates, in order) with the buttons on them as `{action, id}` and
 *   `replaced: true` when it replaced the message a button was on; `editors()` lists opened Edit modals.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app.js';
import { FeedbackRepository } from '../../src/samples/feedback.js';
import { SampleRepository } from '../../src/samples/repository.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';

export interface HarnessSetup {
  /** A config object as in config/restyle.yaml (styles, channels, bot, restyle). */
  config: Record<string, unknown>;
  /** Environment for the model endpoint (OPENAI_BASE_URL, OPENAI_API_KEY). */
  env: Record<string, string>;
  /** Logical user names the platform reports as admins. */
  platformAdmins?: string[];
}

export interface HarnessFactory {
  readonly platform: string;
  userKey(name: string): string;
  channelKey(name: string): string;
  start(setup: HarnessSetup): Promise<Harness>;
}

export interface PostedMessage {
  id: string;
  /** Channel key. */
  channel: string;
  text: string;
  /** Thread or replied-to message id. */
  thread?: string;
  /** User key the post credits ("posted by"). */
  credit?: string;
}

export interface Ephemeral {
  /** User key it was shown to. */
  to: string;
  text: string;
  buttons: Array<{ action: string; id: string }>;
  replaced: boolean;
}

export interface Harness {
  readonly ctx: Pick<AppContext, 'settings' | 'store' | 'restyler'>;
  command(text: string, user: string, channel: string): Promise<void>;
  press(action: string, id: string, user: string, channel: string): Promise<void>;
  submitEdit(id: string, text: string, user: string, channel: string): Promise<void>;
  /** A message someone wrote (exists on the platform); returns its id. */
  seedMessage(text: string, author: string, channel: string, options?: { thread?: string }): Promise<string>;
  react(messageId: string, emoji: string, user: string, channel: string): Promise<void>;
  unreact(messageId: string, emoji: string, user: string, channel: string): Promise<void>;
  deleteMessage(messageId: string, channel: string): Promise<void>;
  shortcut(kind: 'restyle' | 'save', messageId: string, user: string, channel: string): Promise<void>;
  /** Mention the bot (`@restyle text`); returns the mention's message id. */
  mention(text: string, user: string, channel: string, options?: { thread?: string }): Promise<string>;
  settle(): Promise<void>;
  posts(channel?: string): PostedMessage[];
  ephemerals(user?: string): Ephemeral[];
  editors(): Array<{ id: string; text: string }>;
  close(): Promise<void>;
}

/** The fake model: the `loud` style shouts, `quiet` whispers, the answer source answers. */
const ANSWER_PROMPT = 'ANSWER-SOURCE';
function respond(body: { messages: Array<{ role: string; content: string }> }): string {
  const system = body.messages[0]?.content ?? '';
  const user = body.messages[body.messages.length - 1]?.content ?? '';
  if (system === ANSWER_PROMPT) return `Answer to ${user} (${body.messages.length - 2} earlier)`;
  const styled = system.startsWith('Whisper') ? user.toLowerCase() : user.toUpperCase();
  return user.includes('inject') ? `@everyone <!channel> ${styled}` : styled;
}

export function runUseCaseContract(name: string, factory: HarnessFactory): void {
  const u = (n: string) => factory.userKey(n);
  const c = (n: string) => factory.channelKey(n);

  describe(`use-case contract: ${name}`, () => {
    let model: FakeOpenAI;
    let h: Harness | undefined;

    beforeAll(async () => {
      model = await startFakeOpenAI();
      model.setResponder(respond);
    });
    afterAll(async () => {
      await model.close();
    });
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    const start = async (bot: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<Harness> => {
      h = await factory.start({
        config: {
          styles: { loud: { model: 'loud-1' }, quiet: { model: 'quiet-1', prompt: 'Whisper this:' } },
          channels: { [c('general')]: 'loud' },
          restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
          bot: { admins: [u('admin')], reviewers: [u('rita')], answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT }, ...bot },
          ...extra,
        },
        env: { OPENAI_API_KEY: 'sk-contract', OPENAI_BASE_URL: model.url },
        platformAdmins: ['boss'],
      });
      return h;
    };
    const samples = (x: Harness) => new SampleRepository(x.ctx.store as never);
    const last = (x: Harness, user: string): Ephemeral => {
      const all = x.ephemerals(u(user));
      expect(all.length, `something shown to ${user}`).toBeGreaterThan(0);
      return all[all.length - 1]!;
    };
    const button = (e: Ephemeral, action: string): string => {
      const b = e.buttons.find((x) => x.action === action);
      expect(b, `a ${action} button`).toBeDefined();
      return b!.id;
    };
    const preview = async (x: Harness, text: string, user = 'ana', channel = 'general'): Promise<Ephemeral> => {
      await x.command(text, user, channel);
      await x.settle();
      return last(x, user);
    };

    it('previews in the channel style with Post/Edit/Save/Discard, posts once crediting the user, and retires the buttons', async () => {
      const x = await start();
      const p = await preview(x, 'Your order shipped today.');
      expect(p.text).toContain('YOUR ORDER SHIPPED TODAY.');
      expect(p.buttons.map((b) => b.action).sort()).toEqual(['discard', 'edit', 'post', 'save']);
      expect(x.posts(c('general'))).toHaveLength(0);

      const id = button(p, 'post');
      await x.press('post', id, 'ana', 'general');
      await x.settle();
      const posts = x.posts(c('general'));
      expect(posts).toHaveLength(1);
      expect(posts[0]!.text).toContain('YOUR ORDER SHIPPED TODAY.');
      expect(posts[0]!.credit).toBe(u('ana'));
      const after = last(x, 'ana');
      expect(after.replaced).toBe(true);
      expect(after.buttons).toEqual([]);

      await x.press('post', id, 'ana', 'general');
      await x.settle();
      expect(x.posts(c('general'))).toHaveLength(1);
      expect(last(x, 'ana').text).toMatch(/already used|expired/);
    });

    it('uses style=NAME over the channel mapping, and names the known styles when it is unknown', async () => {
      const x = await start();
      expect((await preview(x, 'style=quiet Hello THERE')).text).toContain('hello there');
      const unknown = await preview(x, 'style=pirate Hello');
      expect(unknown.text).toMatch(/unknown style "pirate"/);
      expect(unknown.text).toContain('loud');
      expect(unknown.buttons).toEqual([]);
    });

    it('says how to get a style in an unmapped channel', async () => {
      const x = await start();
      const e = await preview(x, 'Hello', 'ana', 'random');
      expect(e.text).toMatch(/no style/);
      expect(e.text).toMatch(/map/);
      expect(e.buttons).toEqual([]);
    });

    it('Save keeps the (neutral, styled) pair as a pending sample without posting', async () => {
      const x = await start();
      const p = await preview(x, 'Saved words.');
      await x.press('save', button(p, 'save'), 'ana', 'general');
      await x.settle();
      expect(x.posts()).toHaveLength(0);
      const all = await samples(x).list();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ kind: 'pair', status: 'pending', source: 'preview', style: 'loud', neutral: 'Saved words.', styled: 'SAVED WORDS.', savedBy: u('ana'), channel: c('general') });
      expect(last(x, 'ana')).toMatchObject({ replaced: true, buttons: [] });
      expect(last(x, 'ana').text).toMatch(/Saved/);
    });

    it('Discard drops the preview; its buttons then do nothing; only its owner may press them', async () => {
      const x = await start();
      const p = await preview(x, 'Not for posting.');
      await x.press('post', button(p, 'post'), 'ben', 'general');
      await x.settle();
      expect(x.posts()).toHaveLength(0);
      expect(last(x, 'ben').text).toMatch(/Only .* can use/);

      await x.press('discard', button(p, 'discard'), 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana')).toMatchObject({ replaced: true, text: 'Discarded.' });
      await x.press('post', button(p, 'post'), 'ana', 'general');
      await x.settle();
      expect(x.posts()).toHaveLength(0);
      expect(await samples(x).list()).toEqual([]);
    });

    it('Edit opens an editor on the styled text; submitting posts the edit and saves the (neutral, edited) pair', async () => {
      const x = await start();
      const p = await preview(x, 'Draft text.');
      const id = button(p, 'edit');
      await x.press('edit', id, 'ana', 'general');
      await x.settle();
      expect(x.editors().at(-1)).toEqual({ id, text: 'DRAFT TEXT.' });

      await x.submitEdit(id, 'DRAFT TEXT, polished.', 'ana', 'general');
      await x.settle();
      expect(x.posts(c('general')).map((m) => m.text)).toEqual([expect.stringContaining('DRAFT TEXT, polished.')]);
      const all = await samples(x).list();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ kind: 'pair', source: 'edit', neutral: 'Draft text.', styled: 'DRAFT TEXT, polished.' });
    });

    it('refuses an edit that adds a mass mention, and posts nothing', async () => {
      const x = await start();
      const p = await preview(x, 'Quiet news.');
      const id = button(p, 'edit');
      await x.press('edit', id, 'ana', 'general');
      await x.settle();
      await x.submitEdit(id, '@everyone QUIET NEWS.', 'ana', 'general');
      await x.settle();
      expect(x.posts()).toHaveLength(0);
      expect(last(x, 'ana').text).toMatch(/adds @everyone/);
    });

    it('map/unmap: refused with the reason for others; config admins and platform admins may', async () => {
      const x = await start();
      await x.command('map quiet', 'ana', 'random');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/Not allowed: .*bot\.admins/);
      expect(await x.ctx.restyler.channels.resolve(c('random'))).toBeNull();

      await x.command('map quiet', 'admin', 'random');
      await x.settle();
      expect(last(x, 'admin').text).toMatch(/Mapped/);
      expect((await x.ctx.restyler.channels.resolve(c('random')))?.style).toBe('quiet');

      await x.command('map pirate', 'boss', 'random');
      await x.settle();
      expect(last(x, 'boss').text).toMatch(/unknown style "pirate".*loud/);
      await x.command('unmap', 'boss', 'random');
      await x.settle();
      expect(last(x, 'boss').text).toMatch(/Unmapped/);
      expect(await x.ctx.restyler.channels.resolve(c('random'))).toBeNull();
    });

    it('styles, status and help describe the setup', async () => {
      const x = await start();
      await x.command('styles', 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/loud.*loud-1[\s\S]*quiet.*quiet-1/);
      await x.command('status', 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/`loud`.*loud-1.*0 pending, 0 approved/);
      await x.command('help', 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/map STYLE/);
    });

    it('a sample reaction saves the message once, whoever repeats it; removing it retracts; reacting again saves again', async () => {
      const x = await start();
      const msg = await x.seedMessage('Ahoy, the release sails at dawn.', 'carl', 'general');
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      await x.react(msg, 'star', 'ben', 'general');
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      let all = await samples(x).list();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ kind: 'styled', status: 'pending', source: 'reaction', style: 'loud', styled: 'Ahoy, the release sails at dawn.', savedBy: u('ana'), author: u('carl'), messageId: msg });
      expect(x.ephemerals(u('ana'))[0]!.text).toMatch(/Saved/);

      await x.unreact(msg, 'star', 'ana', 'general');
      await x.settle();
      expect(await samples(x).list()).toEqual([]);
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      all = await samples(x).list();
      expect(all).toHaveLength(1);
    });

    it('ignores sample reactions in unmapped channels and other emoji', async () => {
      const x = await start();
      const msg = await x.seedMessage('Just chatting.', 'carl', 'random');
      await x.react(msg, 'star', 'ana', 'random');
      const other = await x.seedMessage('Mapped but another emoji.', 'carl', 'general');
      await x.react(other, 'tada', 'ana', 'general');
      await x.settle();
      expect(await samples(x).list()).toEqual([]);
      expect(x.ephemerals(u('ana'))).toEqual([]);
    });

    it('deleting the source message deletes its sample', async () => {
      const x = await start();
      const msg = await x.seedMessage('Short-lived wisdom.', 'carl', 'general');
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      expect(await samples(x).list()).toHaveLength(1);
      await x.deleteMessage(msg, 'general');
      await x.settle();
      expect(await samples(x).list()).toEqual([]);
    });

    it('review: reviewers only (refusal says why); approve records the verdict and shows the next', async () => {
      const x = await start();
      // One at a time: the review queue is oldest first, so the second save must not race the first.
      for (const text of ['First sample.', 'Second sample.']) {
        await x.react(await x.seedMessage(text, 'carl', 'general'), 'star', 'ana', 'general');
        await x.settle();
      }
      await x.command('review', 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/Not allowed: .*reviewers/);

      await x.command('review', 'rita', 'general');
      await x.settle();
      const card = last(x, 'rita');
      expect(card.text).toContain('First sample.');
      await x.press('approve', button(card, 'approve'), 'rita', 'general');
      await x.settle();
      const next = last(x, 'rita');
      expect(next.replaced).toBe(true);
      expect(next.text).toContain('Second sample.');
      await x.press('reject', button(next, 'reject'), 'rita', 'general');
      await x.settle();
      expect(last(x, 'rita').text).toMatch(/No more samples/);
      const statuses = (await samples(x).list()).map((s) => [s.styled, s.status, s.reviewedBy]);
      expect(statuses).toEqual([
        ['First sample.', 'approved', u('rita')],
        ['Second sample.', 'rejected', u('rita')],
      ]);
    });

    it('answers a mention through the answer source, styled, in the thread; 👍 saves the pair, 👎 is kept for eval', async () => {
      const x = await start();
      const parent = await x.seedMessage('Deploy failed?', 'ana', 'general');
      await x.mention('what now?', 'ana', 'general', { thread: parent });
      await x.settle();
      const posts = x.posts(c('general'));
      expect(posts).toHaveLength(1);
      expect(posts[0]!.text).toBe('ANSWER TO WHAT NOW? (1 EARLIER)');
      expect(posts[0]!.thread).toBe(parent);
      const asked = model.requests.map((r) => r.body as { messages: Array<{ content: string }> }).find((b) => b.messages[0]?.content === ANSWER_PROMPT);
      expect(asked?.messages.map((m) => m.content)).toEqual([ANSWER_PROMPT, 'Deploy failed?', 'what now?']);

      await x.react(posts[0]!.id, '+1', 'ben', 'general');
      await x.react(posts[0]!.id, '-1', 'carl', 'general');
      await x.settle();
      const pair = await samples(x).list();
      expect(pair).toHaveLength(1);
      expect(pair[0]).toMatchObject({ kind: 'pair', source: 'feedback', neutral: 'Answer to what now? (1 earlier)', styled: 'ANSWER TO WHAT NOW? (1 EARLIER)', savedBy: u('ben') });
      const verdicts = await new FeedbackRepository(x.ctx.store as never).list();
      expect(verdicts.map((f) => [f.user, f.verdict]).sort()).toEqual([
        [u('ben'), 'up'],
        [u('carl'), 'down'],
      ]);
    });

    it('never posts a mention the answer did not have', async () => {
      const x = await start();
      await x.mention('please inject', 'ana', 'general');
      await x.settle();
      const posts = x.posts(c('general'));
      expect(posts).toHaveLength(1);
      expect(posts[0]!.text).not.toMatch(/@everyone|<!channel>/);
      expect(posts[0]!.text).toContain('Answer to please inject');
    });

    it('rate limits /restyle and automatic replies per user with a polite note, counted in /metrics (rateLimits)', async () => {
      const x = await start({}, { rateLimits: { restyle: { points: 2, durationSeconds: 60 }, replies: { points: 1, durationSeconds: 60 } } });
      expect((await preview(x, 'One.')).text).toContain('ONE.');
      expect((await preview(x, 'Two.')).text).toContain('TWO.');
      const third = await preview(x, 'Three.');
      expect(third.text).toMatch(/limit for \/restyle \(2 every 60 s\)\. Please try again in \d+ s/);
      expect(third.buttons).toEqual([]);
      // Per user: someone else is not held back.
      expect((await preview(x, 'Four.', 'ben')).text).toContain('FOUR.');

      await x.mention('first question', 'ana', 'general');
      await x.settle();
      await x.mention('second question', 'ana', 'general');
      await x.settle();
      expect(x.posts(c('general')).map((p) => p.text)).toEqual(['ANSWER TO FIRST QUESTION (0 EARLIER)']);
      expect(last(x, 'ana').text).toMatch(/limit for answers \(1 every 60 s\)/);
      const metrics = await (x.ctx as Partial<AppContext>).metrics!.render();
      expect(metrics.body).toMatch(/restyle_rate_limited_total\{kind="restyle"\} 1\b/);
      expect(metrics.body).toMatch(/restyle_rate_limited_total\{kind="replies"\} 1\b/);
    });

    it('answers from a webhook: POST {text,user,channel,thread} → {text}', async () => {
      const bodies: unknown[] = [];
      const hook: Server = createServer((req, res) => {
        let raw = '';
        req.on('data', (d: Buffer) => (raw += d));
        req.on('end', () => {
          const body = JSON.parse(raw) as { text: string };
          bodies.push(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: `Hook says ${body.text}` }));
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      try {
        const x = await start({ answer: { source: 'webhook', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/answer` } });
        const id = await x.mention('ping', 'ana', 'general');
        await x.settle();
        expect(bodies).toEqual([{ text: 'ping', user: u('ana'), channel: c('general'), thread: null }]);
        expect(x.posts(c('general'))).toMatchObject([{ text: 'HOOK SAYS PING', thread: id }]);
      } finally {
        await new Promise<void>((r) => hook.close(() => r()));
      }
    });

    it('acts only in allowed channels when bot.allowChannels is set, and says so', async () => {
      const x = await start({ allowChannels: [c('general')] }, { channels: { [c('general')]: 'loud', [c('random')]: 'loud' } });
      const e = await preview(x, 'Hello', 'ana', 'random');
      expect(e.text).toMatch(/not enabled in this channel.*bot\.allowChannels/);
      expect(e.buttons).toEqual([]);
      expect((await preview(x, 'Hello', 'ana', 'general')).text).toContain('HELLO');
    });

    it('forget deletes the samples a user saved or wrote', async () => {
      const x = await start();
      await x.react(await x.seedMessage('By carl.', 'carl', 'general'), 'star', 'ana', 'general');
      await x.react(await x.seedMessage('By dan.', 'dan', 'general'), 'star', 'ben', 'general');
      await x.settle();
      await x.command('forget', 'carl', 'general');
      await x.settle();
      expect(last(x, 'carl').text).toMatch(/deleted 1 sample/);
      expect((await samples(x).list()).map((s) => s.styled)).toEqual(['By dan.']);
    });

    it('message shortcuts: "Save as style sample" saves; "Restyle message" previews and posts in its thread', async () => {
      const x = await start();
      const msg = await x.seedMessage('Shortcut me.', 'carl', 'general');
      await x.shortcut('save', msg, 'ana', 'general');
      await x.settle();
      expect(last(x, 'ana').text).toMatch(/Saved/);
      expect(await samples(x).list()).toMatchObject([{ source: 'shortcut', messageId: msg, styled: 'Shortcut me.' }]);

      await x.shortcut('restyle', msg, 'ana', 'general');
      await x.settle();
      const p = last(x, 'ana');
      expect(p.text).toContain('SHORTCUT ME.');
      await x.press('post', button(p, 'post'), 'ana', 'general');
      await x.settle();
      expect(x.posts(c('general'))).toMatchObject([{ text: expect.stringContaining('SHORTCUT ME.'), thread: msg }]);
    });
  });
}
