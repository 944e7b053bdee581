import { Events } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDiscord } from '../../../adapters/discord/app.js';
import { createDiscordClient } from '../../../adapters/discord/client.js';
import { PLATFORMS } from '../../../adapters/platforms.js';
import { createContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { openStore } from '../../../src/store/index.js';
import { startFakeDiscord, INTENTS, PERMISSIONS, type FakeInteraction } from '../../fakes/discord.js';
import { startRedis } from '../../support/redis.js';
import { tmpDir } from '../../support/tmp.js';
import { emojiFor, idFor, startDiscordHarness, userKey, type DiscordHarness, type DiscordHarnessOptions } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const ANSWER_PROMPT = 'ANSWER-SOURCE';
let answer: (question: string) => string;
let h: DiscordHarness | undefined;

const model = useFakeOpenAI();
beforeEach(() => {
  model.reset();
  answer = (q) => `Answer to ${q}`;
  model.setResponder((body) => {
    const system = String(body.messages[0].content);
    const user = String(body.messages.at(-1).content);
    return system === ANSWER_PROMPT ? answer(user) : user.toUpperCase();
  });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async (options: DiscordHarnessOptions = {}, bot: Record<string, unknown> = {}): Promise<DiscordHarness> => {
  h = await startDiscordHarness({
    config: {
      styles: { loud: { model: 'loud-1' }, quiet: { model: 'quiet-1', description: 'lower case' } },
      channels: { [`discord:${idFor('channel', 'general')}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER_PROMPT }, ...bot },
    },
    env: { OPENAI_API_KEY: 'sk-discord', OPENAI_BASE_URL: model.url },
    ...options,
  });
  return h;
};
const samples = (x: DiscordHarness) => new SampleRepository(x.ctx.store);
const dms = (x: DiscordHarness, name: string) => x.ephemerals(userKey(name)).map((e) => e.text);
const lastShown = (x: DiscordHarness, i: FakeInteraction) => x.shownFor(i).at(-1)!;

describe('interactions', () => {
  it('defers /restyle at once (ephemeral) and edits the preview in when the model answers', async () => {
    const x = await start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    model.setResponder(async (body) => {
      await gate;
      return String(body.messages.at(-1).content).toUpperCase();
    });
    const i = await x.slash('text', { text: 'Slow news.' }, 'ana', 'general');
    await vi.waitFor(() => expect(model.requests).toHaveLength(1));
    const callback = x.fake.events.find((e) => e.interactionId === i.id && e.kind === 'callback');
    expect(callback).toMatchObject({ type: 5, body: { type: 5, data: { flags: 64 } } });
    expect(x.fake.events.filter((e) => e.interactionId === i.id)).toHaveLength(1);

    release();
    await x.settle();
    const edit = x.fake.events.filter((e) => e.interactionId === i.id).at(-1)!;
    expect(edit.kind).toBe('edit-original');
    expect(edit.body.content).toContain('SLOW NEWS.');
    expect(edit.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
    expect(lastShown(x, i).buttons.map((b) => b.action)).toEqual(['post', 'edit', 'save', 'discard']);
  });

  it('the same interaction delivered twice (two processes) is answered once', async () => {
    const x = await start();
    const i = await x.slash('text', { text: 'Once only.' }, 'ana', 'general');
    await x.push('INTERACTION_CREATE', i.payload);
    await x.settle();
    const callbacks = x.fake.requestsTo('POST', new RegExp(`/interactions/${i.id}/`));
    expect(callbacks.map((r) => r.status)).toEqual([204, 400]);
    expect(x.fake.events.filter((e) => e.interactionId === i.id).map((e) => e.kind)).toEqual(['callback', 'edit-original']);
    expect(model.requestsTo('/chat/completions')).toHaveLength(1);
  });

  it('autocompletes style names from the config', async () => {
    const x = await start();
    const general = await x.channel('general');
    const i = await x.fake.interact({
      type: 4,
      user: x.user('ana'),
      channel: general.id,
      data: { id: '1', name: 'restyle', type: 1, options: [{ type: 1, name: 'text', options: [{ type: 3, name: 'text', value: 'x' }, { type: 3, name: 'style', value: 'qu', focused: true }] }] },
    });
    await x.settle();
    const cb = x.fake.events.find((e) => e.interactionId === i.id)!;
    expect(cb.body).toEqual({ type: 8, data: { choices: [{ name: 'quiet — lower case', value: 'quiet' }] } });
  });

  it('Edit opens a modal with the styled text; too long for the editor says so', async () => {
    const x = await start();
    await x.command('Short one.', 'ana', 'general');
    await x.settle();
    const preview = x.ephemerals(userKey('ana')).at(-1)!;
    const editId = preview.buttons.find((b) => b.action === 'edit')!.id;
    await x.press('edit', editId, 'ana', 'general');
    await x.settle();
    const modal = x.fake.events.find((e) => e.type === 9)!;
    expect(modal.body.data).toMatchObject({
      custom_id: `restyle_edit:${editId}`,
      title: 'Edit before posting',
      components: [{ type: 18, label: 'Styled text (loud)', component: { type: 4, custom_id: 'text', style: 2, value: 'SHORT ONE.', max_length: 4000 } }],
    });

    await x.command('word '.repeat(900), 'ana', 'general');
    await x.settle();
    const long = x.ephemerals(userKey('ana')).at(-1)!;
    expect(long.text.length).toBeLessThanOrEqual(2000);
    expect(long.text).toMatch(/characters in all/);
    await x.press('edit', long.buttons.find((b) => b.action === 'edit')!.id, 'ana', 'general');
    await x.settle();
    expect(x.ephemerals(userKey('ana')).at(-1)!.text).toMatch(/more than Discord's editor takes \(4000\); use Post or Save/);
  });
});

describe('permissions', () => {
  it('map needs Manage Server, a configured admin role or bot.admins; review needs a reviewer role; refusals say why', async () => {
    const x = await start(
      { roles: { stylists: 0n, editors: 0n }, memberRoles: { sam: ['stylists'], rhea: ['editors'] }, platformAdmins: ['boss'] },
      { adminRoles: [idFor('role', 'stylists')], reviewerRoles: [idFor('role', 'editors')] },
    );
    const ana = await x.slash('map', { style: 'quiet' }, 'ana', 'random');
    await x.settle();
    expect(lastShown(x, ana).text).toBe(
      `Not allowed: only members with Manage Server, hold a role in bot.adminRoles or users listed in bot.admins can map channels, and ${userKey('ana')} is none of these.`,
    );
    expect(await x.ctx.restyler.channels.resolve(`discord:${idFor('channel', 'random')}`)).toBeNull();

    const sam = await x.slash('map', { style: 'quiet' }, 'sam', 'random');
    await x.settle();
    expect(lastShown(x, sam).text).toMatch(/^Mapped/);
    const boss = await x.slash('unmap', {}, 'boss', 'random');
    await x.settle();
    expect(lastShown(x, boss).text).toMatch(/^Unmapped/);
    expect(x.fake.permissionsOf(x.guildId, x.user('boss')) & PERMISSIONS.ManageGuild).toBe(PERMISSIONS.ManageGuild);

    const samReview = await x.slash('review', {}, 'sam', 'general');
    const rheaReview = await x.slash('review', {}, 'rhea', 'general');
    await x.settle();
    expect(lastShown(x, samReview).text).toMatch(/^Not allowed: only reviewers \(users listed in bot\.reviewers or holding a role in bot\.reviewerRoles\)/);
    expect(lastShown(x, rheaReview).text).toBe('No samples waiting for review.');
  });
});

describe('reactions', () => {
  it('the same reaction twice (a replay after a gateway RESUME) saves one sample, acknowledges with ✅ once and DMs the user once', async () => {
    const x = await start();
    const msg = await x.seedMessage('A line worth keeping.', 'carl', 'general');
    await x.react(msg, 'star', 'ana', 'general');
    await x.react(msg, 'star', 'ana', 'general');
    await x.settle();
    expect(await samples(x).list()).toMatchObject([{ messageId: msg, styled: 'A line worth keeping.', savedBy: userKey('ana'), author: userKey('carl'), source: 'reaction' }]);
    // The identical second MESSAGE_REACTION_ADD makes no second user-visible effect (no "Already saved…").
    expect([...dms(x, 'ana')]).toEqual([expect.stringMatching(/^Saved as a sample for style `loud`/)]);
    const acks = x.fake.requestsTo('PUT', new RegExp(`/messages/${msg}/reactions/`));
    expect(acks.map((r) => decodeURIComponent(r.path.split('/')[6]!))).toEqual(['✅']);
    // The message was not cached: the adapter fetched it (partials).
    expect(x.fake.requestsTo('GET', new RegExp(`/messages/${msg}$`)).length).toBeGreaterThan(0);
  });

  it('add, remove, add again are three real events: the sample is saved again and the user told again', async () => {
    const x = await start();
    const msg = await x.seedMessage('Keep, drop, keep.', 'carl', 'general');
    await x.react(msg, 'star', 'ana', 'general');
    await x.settle();
    await x.unreact(msg, 'star', 'ana', 'general');
    await x.settle();
    expect(await samples(x).list()).toEqual([]);
    await x.react(msg, 'star', 'ana', 'general');
    await x.settle();
    expect(await samples(x).list()).toMatchObject([{ messageId: msg }]);
    expect([...dms(x, 'ana')].filter((d) => /^Saved as a sample/.test(d))).toHaveLength(2);
  });

  it('a custom emoji configured as name:id saves; the same name with another id does not', async () => {
    const x = await start({}, { reactions: { sample: 'keep:123456789012345678' } });
    const a = await x.seedMessage('Custom emoji one.', 'carl', 'general');
    const b = await x.seedMessage('Custom emoji two.', 'carl', 'general');
    await x.react(a, 'keep:123456789012345678', 'ana', 'general');
    await x.react(b, 'keep:999999999999999999', 'ana', 'general');
    await x.react(b, 'star', 'ana', 'general');
    await x.settle();
    expect((await samples(x).list()).map((s) => s.messageId)).toEqual([a]);
    expect(emojiFor('keep:123456789012345678')).toEqual({ id: '123456789012345678', name: 'keep' });
  });

  it('store down: the user is told it was not saved, nothing half-written; saving works once it is back', async () => {
    const redis = await startRedis();
    const store = await openStore({ redisUrl: redis.url, dataDir: tmpDir('discord-redis'), sqlitePath: 'unused', connectTimeoutMs: 500 });
    try {
      const x = await start({ store });
      const msg = await x.seedMessage('Saved only when it can be.', 'carl', 'general');
      await redis.stop();
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      expect(dms(x, 'ana')).toEqual([expect.stringMatching(/^(Not saved|That did not work).*the store is unavailable/)]);
      expect(x.fake.requestsTo('PUT', /\/reactions\//)).toEqual([]);

      await redis.start();
      await vi.waitFor(async () => expect(await store.ping()).toBeUndefined(), { timeout: 10_000 });
      expect(await samples(x).list()).toEqual([]);
      await x.react(msg, 'star', 'ana', 'general');
      await x.settle();
      expect((await samples(x).list()).map((s) => s.messageId)).toEqual([msg]);
      expect(dms(x, 'ana').at(-1)).toMatch(/^Saved as a sample/);
    } finally {
      await h?.close();
      h = undefined;
      await store.close();
    }
  });
});

describe('posting', () => {
  it('sends allowed_mentions that ping only users the original mentioned: never @everyone, roles or the author replied to', async () => {
    const x = await start();
    const carl = x.user('carl');
    const role = x.fake.addRole(x.guildId, { name: 'oncall' }).id;
    await x.command(`Hi <@${carl}>, <@&${role}> and @everyone: release is out.`, 'ana', 'general');
    await x.settle();
    const preview = x.ephemerals(userKey('ana')).at(-1)!;
    await x.press('post', preview.buttons.find((b) => b.action === 'post')!.id, 'ana', 'general');
    await x.settle();
    const [posted] = x.fake.posted(idFor('channel', 'general'));
    expect(posted!.allowed_mentions).toEqual({ parse: [], users: [carl], roles: [], replied_user: false });
    expect(x.fake.pings(posted!)).toEqual({ everyone: false, users: [carl], roles: [] });
    expect(posted!.content).toContain(`Posted by <@${x.user('ana')}>`);

    answer = () => `Paging <@${carl}> and <@&${role}>.`;
    const mention = await x.mention('who is on call?', 'ana', 'general');
    await x.settle();
    const reply = x.fake.posted(idFor('channel', 'general')).at(-1)!;
    expect(reply.message_reference?.message_id).toBe(mention);
    // The asking human mentioned no one: what the answer source wrote pings no one (issue 13, hole 3).
    expect(x.fake.pings(reply)).toEqual({ everyone: false, users: [], roles: [] });
    expect(reply.allowed_mentions.replied_user).toBe(false);
  });

  it('splits a long answer at 2,000 characters, closing and reopening a code fence with its language', async () => {
    const x = await start();
    const code = Array.from({ length: 80 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`).join('\n');
    answer = () => `Here is the script:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nRun it twice.`;
    const mention = await x.mention('give me the script', 'ana', 'general');
    await x.settle();
    const parts = x.fake.posted(idFor('channel', 'general'));
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.content.length).toBeLessThanOrEqual(2000);
      expect((p.content.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(parts[1]!.content.startsWith('```ts\n')).toBe(true);
    expect(parts.map((p) => p.message_reference?.message_id)).toEqual([mention, ...parts.slice(1).map(() => undefined)]);
    const joined = parts.map((p) => p.content).join('\n');
    for (let i = 0; i < 80; i += 1) expect(joined).toContain(`const value${i} = compute(${i});`);
  });

  it('retries a 429 with Discord’s retry_after and posts once; a 500 becomes a DM saying the answer was not posted', async () => {
    const x = await start();
    x.fake.failNext('POST', /^\/channels\/\d+\/messages$/, { status: 429, retryAfter: 0.05 });
    await x.mention('first', 'ana', 'general');
    await x.settle();
    const posts = x.fake.requestsTo('POST', new RegExp(`^/channels/${idFor('channel', 'general')}/messages$`));
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(x.fake.posted(idFor('channel', 'general'))).toHaveLength(1);

    x.fake.failNext('POST', /^\/channels\/\d+\/messages$/, { status: 500 });
    await x.mention('second', 'ana', 'general');
    await x.settle();
    expect(x.fake.posted(idFor('channel', 'general'))).toHaveLength(1);
    expect(dms(x, 'ana')).toEqual([expect.stringMatching(/^I couldn't post my answer: Discord posting the message failed/)]);
  });

  it('gives the answer source the chain of messages a mention replies to', async () => {
    const x = await start();
    const general = await x.channel('general');
    const first = x.fake.addMessage({ channel: general.id, author: x.user('carl'), content: 'The deploy failed at step 3.' });
    const second = x.fake.addMessage({ channel: general.id, author: x.user('ben'), content: 'Same here.', reference: first.id });
    const m = x.fake.addMessage({ channel: general.id, author: x.user('ana'), content: `<@${x.fake.bot.id}> what should we do?`, reference: second.id });
    await x.push('MESSAGE_CREATE', x.fake.messagePayload(m));
    await x.settle();
    const asked = model.requests.map((r) => r.body).find((b) => b.messages[0].content === ANSWER_PROMPT);
    expect(asked.messages.map((msg: { role: string; content: string }) => [msg.role, msg.content])).toEqual([
      ['system', ANSWER_PROMPT],
      ['user', 'The deploy failed at step 3.'],
      ['user', 'Same here.'],
      ['user', 'what should we do?'],
    ]);
  });

  it('answers a DM in the DM, as a reply', async () => {
    const x = await start();
    const ana = x.user('ana');
    const dm = x.fake.dmChannel(ana);
    const m = x.fake.addMessage({ channel: dm.id, author: ana, content: 'hello bot' });
    await x.push('MESSAGE_CREATE', { ...x.fake.messagePayload(m), channel_type: 1 });
    await x.settle();
    const [reply] = x.fake.posted(dm.id);
    expect(reply).toMatchObject({ content: 'Answer to hello bot', message_reference: { message_id: m.id } });
  });
});

describe('gateway and start-up', () => {
  it('identifies with the intents restyle needs, and `restyle bot` knows the platform', async () => {
    const x = await start();
    const [session] = x.fake.sessions();
    for (const bit of [INTENTS.Guilds, INTENTS.GuildMessages, INTENTS.MessageContent, INTENTS.GuildMessageReactions, INTENTS.DirectMessages]) expect(session!.intents & bit).toBe(bit);
    expect(x.running.ready()).toBe(true);
    const entry = PLATFORMS.find((p) => p.name === 'discord')!;
    expect(entry.enableHint).toMatch(/DISCORD_BOT_TOKEN.*DISCORD_CLIENT_ID/);
    expect(entry.enabled(x.ctx.settings)).toBe(true);
    expect(entry.enabled(settingsFrom({}, {}))).toBe(false);
    expect((await entry.load()).name).toBe('discord');
  });

  it('loses nothing across a reconnect: the session resumes and missed events are replayed once', async () => {
    const x = await start();
    const msg = await x.seedMessage('Said during a reconnect.', 'carl', 'general');
    const resumed = new Promise((r) => x.client.once(Events.ShardResume, r));
    x.fake.reconnectAll();
    await x.react(msg, 'star', 'ana', 'general');
    await resumed;
    await x.settle();
    expect((await samples(x).list()).map((s) => s.messageId)).toEqual([msg]);
    expect(dms(x, 'ana')).toEqual([expect.stringMatching(/^Saved as a sample/)]);
    expect(x.fake.sessions()).toHaveLength(1);
  });

  it('fails start-up clearly without the Message Content intent, and with a wrong token', async () => {
    const fake = await startFakeDiscord({ privilegedIntents: 0 });
    const settings = settingsFrom({}, { DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.url });
    const dir = tmpDir('discord-start');
    const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/s.sqlite`, connectTimeoutMs: 500 });
    const ctx = await createContext(settings, { store, logger: silentLogger() });
    try {
      await expect(startDiscord({ ctx })).rejects.toThrow(/enable "Message Content Intent" under Bot → Privileged Gateway Intents/);
      const wrong = settingsFrom({}, { DISCORD_BOT_TOKEN: 'wrong-token', DISCORD_API_URL: fake.url });
      await expect(startDiscord({ ctx: { ...ctx, settings: wrong }, client: createDiscordClient(wrong, { rest: { retries: 0 } }) })).rejects.toThrow(/^DISCORD_BOT_TOKEN was rejected by Discord/);
    } finally {
      await ctx.store.close();
      await ctx.close();
      await fake.close();
    }
  });
});
