import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardMentions } from '../../src/bot/safety.js';
import { settingsFrom } from '../../src/config/load.js';
import { LlmPool } from '../../src/llm/pool.js';
import { Restyler } from '../../src/restyle/restyler.js';
import { addedLinks } from '../../src/restyle/links.js';
import { addedMentions, findMentions, mentionsIn } from '../../src/restyle/mentions.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { tmpDir } from '../support/tmp.js';

describe('mentions', () => {
  it('counts a mention in the original only where it is live (outside code)', () => {
    expect([...mentionsIn('Reminder: use `<!channel>` only for outages.')]).toEqual([]);
    expect([...mentionsIn('```\n<!here> <@&123456>\n```\nthen <@U1>')]).toEqual(['<@U1>']);
    expect(addedMentions('Reminder: use `<!channel>` only for outages.', '<!channel> Reminder: use `<!channel>` only for outages.')).toEqual(['<!channel>']);
    // The same mention still in code is not added; a new one in code is.
    expect(addedMentions('use `<!channel>` rarely', 'Use `<!channel>` rarely!')).toEqual([]);
    expect(addedMentions('use `x` rarely', 'use `<!here>` rarely')).toEqual(['<!here>']);
  });

  it('normalises the variants before comparing', () => {
    const keys = (t: string) => findMentions(t).map((m) => m.key);
    expect(keys('<!Channel> <!HERE> <!here|here> <!group> <!everyone> <!subteam^s0oncall|@oncall> <!subteam^S0ONCALL>')).toEqual([
      '<!channel>',
      '<!here>',
      '<!here>',
      '<!group>',
      '<!everyone>',
      '<!subteam^S0ONCALL>',
      '<!subteam^S0ONCALL>',
    ]);
    expect(keys('＠everyone hi@everyone @Here ﹫channel <@!123456> <@123456> <@&999> <@U1|ana>')).toEqual(['@everyone', '@everyone', '@here', '@channel', '<@123456>', '<@123456>', '<@&999>', '<@U1>']);
    expect(addedMentions('ping <!here>', 'PING <!HERE|here>')).toEqual([]);
    expect(addedMentions('hello all', 'hello all＠everyone')).toEqual(['@everyone']);
  });

  it('treats links the original lacked like added mentions', () => {
    expect(addedLinks('Log in at <https://acme.io/login|the portal>.', 'Log in at <https://acme.io/login|the portal> now.')).toEqual([]);
    expect(addedLinks('Log in at the portal.', 'Log in <https://evil.example/x|login>.')).toEqual(['https://evil.example/x']);
    expect(addedLinks('Log in at the portal.', 'Log in [login](https://evil.example/x).')).toEqual(['https://evil.example/x']);
    expect(guardMentions('Log in at the portal.', 'Log in [login](https://evil.example/x).')).toEqual({ text: 'Log in at the portal.', blocked: ['https://evil.example/x'] });
  });
});

describe('the filter with a model that adds mentions and links', () => {
  let fake: FakeOpenAI;
  let store: Store;
  let reply: (user: string) => string;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    fake.setResponder((body) => reply(body.messages.at(-1).content as string));
    const dir = tmpDir('mentions');
    store = await openStore({ redisUrl: undefined, dataDir: dir, sqlitePath: `${dir}/restyle.sqlite`, connectTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await store.close();
    await fake.close();
  });
  const restyler = () => {
    const settings = settingsFrom({ styles: { loud: { model: 'loud-1' } }, restyle: { maxRetries: 0, cacheTtlSeconds: 0 } }, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url });
    return new Restyler({ settings, store, llm: new LlmPool({ llm: settings.llm, restyle: settings.restyle }) });
  };

  it('falls back to the original block when the model turns a mention in code into a live one (issue 13, hole 2)', async () => {
    const input = 'Reminder: use `<!channel>` only for outages.';
    reply = (user) => `<!channel> ${user}`;
    const r = await restyler().restyle(input, { style: 'loud' });
    expect(r).toMatchObject({ text: input, fallbacks: 1, styled: false });
    reply = (user) => `<!CHANNEL|channel> ${user}`;
    expect((await restyler().restyle(input, { style: 'loud' })).text).toBe(input);
    reply = (user) => user.replace('Reminder', 'Hey team, a reminder');
    expect((await restyler().restyle(input, { style: 'loud' })).text).toBe('Hey team, a reminder: use `<!channel>` only for outages.');
  });

  it('falls back when the model adds a link', async () => {
    const input = 'Please log in to the portal.';
    reply = () => 'Please log in at <https://evil.example/x|login>.';
    expect((await restyler().restyle(input, { style: 'loud' })).text).toBe(input);
    reply = () => 'Please log in [here](https://evil.example/x).';
    expect((await restyler().restyle(input, { style: 'loud' })).text).toBe(input);
  });
});
