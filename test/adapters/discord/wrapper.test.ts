import { BaseGuildTextChannel, BaseGuildVoiceChannel, DMChannel, Events, ThreadChannel, type Client, type Message, type TextChannel } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDiscordClient } from '../../../adapters/discord/client.js';
import { noRestyle, restyleDiscord } from '../../../adapters/discord/wrapper.js';
import { createContext, type AppContext } from '../../../src/app.js';
import { settingsFrom } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { ReplyOrigins } from '../../../src/bot/origins.js';
import { openStore } from '../../../src/store/index.js';
import { startFakeDiscord, type FakeChannel, type FakeDiscord } from '../../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { tmpDir } from '../../support/tmp.js';

let model: FakeOpenAI;
let fake: FakeDiscord;
let mapped: FakeChannel;
let plain: FakeChannel;
let thread: FakeChannel;
let ctx: AppContext;
const clients: Client[] = [];

beforeAll(async () => {
  model = await startFakeOpenAI();
  fake = await startFakeDiscord();
  const guild = fake.addGuild({ name: 'Existing bot' });
  mapped = await fake.addChannel(guild.id, { name: 'announcements' });
  plain = await fake.addChannel(guild.id, { name: 'chat' });
  thread = await fake.addThread(mapped.id, { name: 'follow-up' });
  const dir = tmpDir('discord-wrapper');
  const store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/s.sqlite`, connectTimeoutMs: 500 });
  const settings = settingsFrom(
    { styles: { loud: { model: 'loud-1' } }, channels: { [`discord:${mapped.id}`]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
    { OPENAI_API_KEY: 'sk-wrap', OPENAI_BASE_URL: model.url },
  );
  ctx = await createContext(settings, { store, logger: silentLogger() });
});
afterAll(async () => {
  await ctx.store.close();
  await fake.close();
  await model.close();
});
beforeEach(() => {
  model.reset();
  model.setResponder((body) => {
    const text = String(body.messages.at(-1).content);
    return text.includes('inject') ? `@everyone ${text.toUpperCase()}` : text.toUpperCase();
  });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy();
});

/** Someone's existing bot: a plain discord.js client, not restyle's adapter. */
async function existingBot(extra: Parameters<typeof createDiscordClient>[1] = {}): Promise<Client> {
  const client = createDiscordClient(settingsFrom({}, { DISCORD_API_URL: fake.url }), { rest: { retries: 0 }, ...extra });
  clients.push(client);
  const ready = new Promise((r) => client.once(Events.ClientReady, r));
  await client.login(fake.token);
  await ready;
  return client;
}
const channelOf = (client: Client, c: FakeChannel) => client.channels.cache.get(c.id) as TextChannel;
const last = (c: FakeChannel) => fake.posted(c.id).at(-1)!;

describe('restyleDiscord(client, restyler)', () => {
  it("styles channel.send and message.reply to mapped channels (threads use the parent's style); leaves the rest alone", async () => {
    const client = await existingBot();
    restyleDiscord(client, ctx.restyler, { store: ctx.store });

    const sent = await channelOf(client, mapped).send('Your build passed.');
    expect(sent.content).toBe('YOUR BUILD PASSED.');
    expect(last(mapped).content).toBe('YOUR BUILD PASSED.');

    await channelOf(client, plain).send('Just chatting.');
    expect(last(plain).content).toBe('Just chatting.');

    const original = fake.addMessage({ channel: mapped.id, author: fake.addUser('ana').id, content: 'is it green?' });
    const fetched = await channelOf(client, mapped).messages.fetch(original.id);
    await fetched.reply({ content: 'It is green.' });
    expect(last(mapped)).toMatchObject({ content: 'IT IS GREEN.', message_reference: { message_id: original.id } });

    const inThread = client.channels.cache.get(thread.id) as TextChannel;
    await inThread.send('Thread news.');
    expect(last(thread).content).toBe('THREAD NEWS.');

    // 👍 on these messages can find what they were styled from.
    expect(await new ReplyOrigins(ctx.store).find({ key: `discord:${mapped.id}` }, sent.id)).toMatchObject({ style: 'loud', neutral: 'Your build passed.', styled: 'YOUR BUILD PASSED.' });
  });

  it("opts out per call with noRestyle(…), for send and reply, keeping the caller's own nonce", async () => {
    const client = await existingBot();
    restyleDiscord(client, ctx.restyler);
    await channelOf(client, mapped).send(noRestyle('```\nraw log\n```'));
    expect(last(mapped).content).toBe('```\nraw log\n```');
    await channelOf(client, mapped).send(noRestyle({ content: 'keep me', nonce: 'mine-1' }));
    expect(last(mapped).content).toBe('keep me');
    // The opt-out marker never reaches Discord; a nonce of the caller's own does.
    const bodies = fake.requestsTo('POST', /^\/channels\/\d+\/messages$/).map((r) => r.body as { nonce?: unknown });
    expect(bodies.at(-1)?.nonce).toBe('mine-1');
    expect(bodies.filter((b) => String(b.nonce ?? '').startsWith('rs-off'))).toEqual([]);
    const target = await channelOf(client, mapped).messages.fetch(fake.addMessage({ channel: mapped.id, author: fake.addUser('ben').id, content: 'hi' }).id);
    await target.reply(noRestyle({ content: 'as written' }));
    expect(last(mapped)).toMatchObject({ content: 'as written', message_reference: { message_id: target.id } });
    expect(model.requests).toEqual([]);
  });

  it('never adds a mention, fails open when the model fails, and leaves other clients and unwrapped ones alone', async () => {
    const client = await existingBot();
    const other = await existingBot();
    const shared = [BaseGuildTextChannel, BaseGuildVoiceChannel, DMChannel, ThreadChannel].map((C) => C.prototype.send);
    const stop = restyleDiscord(client, ctx.restyler);
    // Only this client's own REST option changed: no discord.js class was touched.
    expect([BaseGuildTextChannel, BaseGuildVoiceChannel, DMChannel, ThreadChannel].map((C) => C.prototype.send)).toEqual(shared);
    expect(other.rest.options.makeRequest).not.toBe(client.rest.options.makeRequest);

    await channelOf(client, mapped).send('please inject this');
    expect(last(mapped).content).toBe('please inject this');

    model.failNext(1, { status: 500 });
    await channelOf(client, mapped).send('model is down');
    expect(last(mapped).content).toBe('model is down');

    await channelOf(other, mapped).send('not wrapped');
    expect(last(mapped).content).toBe('not wrapped');

    stop();
    await channelOf(client, mapped).send('unwrapped now');
    expect(last(mapped).content).toBe('unwrapped now');
  });

  it('sends every message exactly once, even when Discord rate-limits the send', async () => {
    const client = await existingBot();
    restyleDiscord(client, ctx.restyler);
    fake.failNext('POST', /^\/channels\/\d+\/messages$/, { status: 429, retryAfter: 0.05 });
    const before = fake.posted(mapped.id).length;
    const message: Message = await channelOf(client, mapped).send('Rate limited hello.');
    await vi.waitFor(() => expect(fake.posted(mapped.id).length).toBe(before + 1));
    expect(message.content).toBe('RATE LIMITED HELLO.');
  });

  it('never lets a send ping @everyone, @here or a role, even when the bot asks for it (issue 13, hole 3)', async () => {
    // An existing bot whose client pings everything by default, as discord.js does when not told otherwise.
    const client = await existingBot({ allowedMentions: { parse: ['everyone', 'roles', 'users'] } });
    restyleDiscord(client, ctx.restyler);
    const role = fake.addRole(mapped.guild_id!, { name: 'oncall' }).id;
    const ana = fake.addUser('ana-w').id;
    await channelOf(client, mapped).send(`@everyone <@&${role}> \`<@&${role}>\` release is out, <@${ana}>`);
    expect(fake.pings(last(mapped))).toEqual({ everyone: false, users: [ana], roles: [] });
    await channelOf(client, plain).send(noRestyle({ content: `@here <@&${role}> as written`, allowedMentions: { parse: ['everyone', 'roles'] as const } } as never));
    expect(fake.pings(last(plain))).toEqual({ everyone: false, users: [], roles: [] });
  });

  it('lets a channel in allowBroadcast ping the roles and @everyone the text names', async () => {
    const client = await existingBot();
    restyleDiscord(client, ctx.restyler, { allowBroadcast: [`discord:${plain.id}`] });
    const role = fake.addRole(plain.guild_id!, { name: 'release' }).id;
    await channelOf(client, plain).send(`@everyone <@&${role}> release is out`);
    expect(fake.pings(last(plain))).toEqual({ everyone: true, users: [], roles: [role] });
  });
});
