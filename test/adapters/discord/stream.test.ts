import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelKey, idFor, startDiscordHarness, type DiscordHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

let h: DiscordHarness | undefined;

const model = useFakeOpenAI();
beforeEach(() => model.reset());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(answer: string): Promise<DiscordHarness> {
  model.setResponder((body) => (body.model === 'answer-1' ? answer : (body.messages.at(-1).content as string).toUpperCase()));
  h = await startDiscordHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [channelKey('general')]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000, maxBlockParagraphs: 1 },
      bot: { answer: { source: 'openai', model: 'answer-1', stream: true } },
    },
    env: { OPENAI_API_KEY: 'sk-stream', OPENAI_BASE_URL: model.url },
  });
  return h;
}

const channel = idFor('channel', 'general');
const edits = (x: DiscordHarness) => x.fake.requestsTo('PATCH', new RegExp(`^/channels/${channel}/messages/\\d+$`));
const creates = (x: DiscordHarness) => x.fake.requestsTo('POST', new RegExp(`^/channels/${channel}/messages$`));

describe('Discord: streamed answers', () => {
  it('types, posts the first styled block, then edits the reply as blocks arrive, within the pace', async () => {
    const paras = ['First, the build passed.', 'Second, the deploy finished.', 'Third, all good.', 'Fourth, done.'];
    const x = await start(paras.join('\n\n'));
    model.setStreamRate(100);
    const asked = await x.mention('status?', 'ana', 'general');
    await x.settle();
    expect(x.fake.requestsTo('POST', new RegExp(`^/channels/${channel}/typing$`))).toHaveLength(1);
    const replies = x.posts(channelKey('general'));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ text: paras.map((p) => p.toUpperCase()).join('\n\n'), thread: asked });
    // The first post carried only what was styled then: the rest came by edits (PATCH, recorded by the fake).
    expect(creates(x)[0]!.body.content.length).toBeLessThan(replies[0]!.text.length);
    expect(edits(x).length).toBeGreaterThan(0);
    // Never more than 4 writes to the reply in any 5 s (Discord's per-channel bucket is 5 per 5 s).
    const writes = [...creates(x), ...edits(x)].map((r) => r.at).sort((a, b) => a - b);
    for (let i = 4; i < writes.length; i++) expect(writes[i]! - writes[i - 4]!).toBeGreaterThanOrEqual(5000 - 50);
  });

  it('pings only whom the asker mentioned, as a post does: never @everyone or a user the answer model added', async () => {
    const x = await start('(the answer is set below, once the users exist)');
    const carl = x.user('carl');
    const boss = x.user('boss');
    model.setResponder((body) => (body.model === 'answer-1' ? `Done. cc <@${carl}> and <@${boss}>, @everyone look.` : (body.messages.at(-1).content as string).toUpperCase()));
    await x.mention(`status? cc <@${carl}>`, 'ana', 'general');
    await x.settle();
    const writes = [...creates(x), ...edits(x)];
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.body.allowed_mentions).toEqual({ parse: [], users: [carl], roles: [], replied_user: false });
      expect(x.fake.pings(w.body)).toEqual({ everyone: false, users: [carl], roles: [] });
    }
  });

  it('continues in a new message at 2,000 characters without breaking a code fence', async () => {
    const code = Array.from({ length: 90 }, (_, i) => `const line${i} = ${i}; // keep`).join('\n');
    const answer = `Here is the script.\n\n\`\`\`js\n${code}\n\`\`\`\n\nRun it twice.`;
    const x = await start(answer);
    await x.mention('script?', 'ana', 'general');
    await x.settle();
    const replies = x.posts(channelKey('general'));
    expect(replies.length).toBeGreaterThan(1);
    for (const r of replies) {
      expect(r.text.length).toBeLessThanOrEqual(2000);
      expect((r.text.match(/^```/gm) ?? []).length % 2, r.text.slice(0, 80)).toBe(0);
    }
    const all = replies.map((r) => r.text).join('\n');
    // Every line of code is there once, unstyled (code never goes to the model).
    for (let i = 0; i < 90; i++) expect(all.split(`const line${i} = ${i}; // keep`).length - 1).toBe(1);
    expect(all).toContain('HERE IS THE SCRIPT.');
    expect(all).toContain('RUN IT TWICE.');
  });
});
