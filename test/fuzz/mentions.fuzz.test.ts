/**
 * Issue 13, holes 2–3, fuzzed through the real SDKs: text with every mention variant we know (Slack
 * broadcasts in any case and with labels, `<!group>`, `<!subteam^…>`, users; Discord users, roles,
 * `@everyone` plain, full-width, glued to a word; some in code spans) goes through the filter with a model
 * that echoes, adds a live mention or adds a link, then through the Slack poster (Bolt's WebClient → fake
 * Slack) and the Discord poster (discord.js REST → fake Discord). Whatever the model did, the posted
 * message pings no broadcast, no group, no role, and only users the asking human mentioned live.
 */
import { REST } from 'discord.js';
import { webApi } from '@slack/bolt';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordActions } from '../../adapters/discord/actions.js';
import { SlackActions } from '../../adapters/slack/actions.js';
import { slackPlace } from '../../adapters/slack/convert.js';
import { guardMentions, pingable } from '../../src/bot/safety.js';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { silentLogger } from '../../src/log.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { findMentions } from '../../src/restyle/mentions.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { tmpDir } from '../support/tmp.js';

let model: FakeOpenAI;
let slack: FakeSlack;
let discord: FakeDiscord;
let store: Store;
let discordChannel: string;
let inject = '';

beforeAll(async () => {
  model = await startFakeOpenAI();
  // The "model": upper-cases nothing, keeps the placeholders, and adds whatever the case injects.
  model.setResponder((body) => `${inject}${String(body.messages.at(-1).content)}`);
  slack = await startFakeSlack();
  discord = await startFakeDiscord();
  const guild = discord.addGuild({ name: 'Fuzz' });
  discordChannel = (await discord.addChannel(guild.id, { name: 'general' })).id;
  const dir = tmpDir('mention-fuzz');
  store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/s.sqlite`, connectTimeoutMs: 1000 });
});
afterAll(async () => {
  await store.close();
  await discord.close();
  await slack.close();
  await model.close();
});

const flip = (s: string) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
const slackBroadcast = fc
  .tuple(fc.constantFrom('channel', 'here', 'everyone', 'group'), fc.boolean())
  .chain(([name, label]) => flip(name).map((n) => `<!${n}${label ? `|${name}` : ''}>`));
const mention = fc.oneof(
  slackBroadcast,
  fc.constantFrom('<!subteam^S0ONCALL>', '<!subteam^S0ONCALL|@oncall>', '<!subteam^s0oncall>'),
  fc.constantFrom('<@U0ANA>', '<@U0EVE|eve>', '<@U0BEN>'),
  fc.constantFrom('<@&123456789012>', '<@111111111111111111>', '<@!222222222222222222>', '<@333333333333333333>'),
  fc.constantFrom('@everyone', '@here', '＠everyone', '﹫here', 'hi@everyone', 'team@here', '@EVERYONE', '@Here'),
);
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('the server is down', 'deploy at 5', 'please check', 'thanks', 'release notes') },
  { weight: 2, arbitrary: mention },
  { weight: 1, arbitrary: mention.map((m) => `\`${m}\``) },
);
const text = fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => `${p.join(' ')}.`);
const injection = fc.oneof(fc.constant(''), mention.map((m) => `${m} `), fc.constantFrom('<https://evil.example/x|login> ', '[login](https://evil.example/x) '));

describe('mention fuzz through the Slack and Discord posters', () => {
  it('never posts a broadcast, group or role mention, and pings only users the asker mentioned', async () => {
    const settings = settingsFrom(
      { styles: { loud: { model: 'loud-1' } }, channels: { 'slack:CGENERAL': 'loud', [`discord:${discordChannel}`]: 'loud' }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } },
      { OPENAI_API_KEY: 'sk-fuzz', OPENAI_BASE_URL: model.url },
    );
    const restyler = new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
    const slackActions = new SlackActions(new webApi.WebClient('xoxb-fuzz', { slackApiUrl: slack.url, retryConfig: { retries: 0 } }), silentLogger());
    const discordActions = new DiscordActions(new REST({ api: discord.url, version: '10', retries: 0 }).setToken(discord.token), silentLogger());
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(text, text, injection, fc.boolean(), async (asked, answer, inj, automatic) => {
        // /restyle and /v1/post: the asker's text is what is styled; automatic replies style an answer to it.
        const neutral = automatic ? answer : asked;
        cases += findMentions(asked).length + (automatic ? findMentions(answer).length : 0) + findMentions(inj).length;
        inject = inj;
        const users = [...pingable(asked, { broadcast: false })];
        for (const [platform, channel, actions] of [
          ['slack', 'slack:CGENERAL', slackActions],
          ['discord', `discord:${discordChannel}`, discordActions],
        ] as const) {
          const r = await restyler.restyle(neutral, { channel });
          const safe = guardMentions(neutral, r.text);
          const place = platform === 'slack' ? slackPlace('CGENERAL') : { key: channel, platform, channelId: discordChannel, isDirect: false };
          await actions.post(place, safe.text, { origin: { style: 'loud', model: 'loud-1', neutral }, asked });
        }
        const posted = String(slack.callsTo('chat.postMessage').at(-1)!.args.text);
        // Slack: no live broadcast or group markup at all, and only the asker's users.
        expect(posted).not.toMatch(/<!(?:channel|here|everyone|group|subteam)/i);
        for (const m of findMentions(posted).filter((x) => x.raw.startsWith('<'))) expect(users).toContain(m.key);
        // Discord: what the fake says Discord would notify.
        const pings = discord.pings(discord.posted(discordChannel).at(-1)!);
        expect(pings.everyone).toBe(false);
        expect(pings.roles).toEqual([]);
        for (const u of pings.users) expect(users).toContain(`<@${u}>`);
      }),
      { numRuns: 300, seed: 1313 },
    );
    console.log(`mention fuzz: ${cases} mention cases in 300 runs, each posted to Slack and Discord`);
    expect(cases).toBeGreaterThan(600);
  }, 120_000);
});
