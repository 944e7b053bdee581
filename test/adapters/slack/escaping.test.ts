/**
 * Issue 14: Slack text as people typed it. What Slack sends escaped (`&amp;`, `&lt;`, `&gt;`) reaches the
 * model and the samples decoded, as Slack exports do in the corpus, and is escaped again on the way back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storeSamples } from '../../../src/corpus/samples.js';
import { SampleRepository } from '../../../src/samples/repository.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { startSlackHarness, userId, type SlackHarness } from './harness.js';

const ANSWER = 'ANSWER-SOURCE';
let model: FakeOpenAI;
let h: SlackHarness | undefined;

beforeAll(async () => {
  model = await startFakeOpenAI();
  model.setResponder((body) => {
    const user = String(body.messages.at(-1).content);
    return body.messages[0].content === ANSWER ? `You said: ${user}` : user.toUpperCase();
  });
});
afterAll(async () => {
  await model.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async () => {
  h = await startSlackHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { 'slack:CGENERAL': 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER } },
    },
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: model.url },
  });
  return h;
};
const userMessages = (m: string) => model.requests.filter((r) => r.body?.model === m).map((r) => r.body.messages.at(-1).content);

describe('Slack escaping', () => {
  it('the model sees the text as typed; Slack gets it escaped again, quotes kept as quotes', async () => {
    const x = await start();
    model.requests.length = 0;
    await x.command('&gt; R&amp;D says 2 &lt; 3 &amp;&amp; <@UCARL> agrees', 'ana', 'general');
    await x.settle();
    expect(userMessages('loud-1')).toEqual(['> R&D says 2 < 3 && ⟦0⟧ agrees']);
    const preview = x.ephemerals(`slack:${userId('ana')}`).at(-1)!;
    expect(preview.text).toContain('> R&amp;D SAYS 2 &lt; 3 &amp;&amp; <@UCARL> AGREES');
    await x.press('post', preview.buttons.find((b) => b.action === 'post')!.id, 'ana', 'general');
    await x.settle();
    expect(x.fake.callsTo('chat.postMessage').map((c) => c.args.text)).toEqual(['> R&amp;D SAYS 2 &lt; 3 &amp;&amp; <@UCARL> AGREES']);
  });

  it('answers a mention from the decoded question', async () => {
    const x = await start();
    model.requests.length = 0;
    await x.mention('is 1 &lt; 2 &amp; true?', 'ana', 'general');
    await x.settle();
    expect(userMessages('answer-1')).toEqual(['is 1 < 2 & true?']);
    expect(x.fake.callsTo('chat.postMessage').map((c) => c.args.text)).toEqual(['YOU SAID: IS 1 &lt; 2 &amp; TRUE?']);
  });

  it('saves samples as typed, and --from-store decodes samples saved escaped before', async () => {
    const x = await start();
    const ts = await x.seedMessage('Fish &amp; chips &gt; salad, mate', 'carl', 'general');
    await x.react(ts, 'star', 'ana', 'general');
    await x.settle();
    const samples = await new SampleRepository(x.ctx.store).list();
    expect(samples.map((s) => s.styled)).toEqual(['Fish & chips > salad, mate']);
    // A sample stored with Slack's escaping (saved by an earlier version) reaches the corpus decoded.
    await x.ctx.store.ns('samples').set('old-1', { ...samples[0]!, id: 'old-1', status: 'approved', styled: 'Tea &amp; cake &lt;3' });
    const docs = await storeSamples(x.ctx.store, 'loud');
    expect(docs.map((d) => d.text)).toContain('Tea & cake <3');
  });
});
