/**
 * Issue 13, hole 3 on Slack, through Bolt and the fake Slack Web API: by default the bot never posts a live
 * `<!channel>`, `<!here>`, `<!everyone>` or `<!subteam^…>` (they go out escaped, as inert text), pings only
 * users the asking human mentioned, and a channel listed in `safety.allowBroadcast` gets the asker's
 * broadcasts live.
 */
import { App, LogLevel } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { restyleSlack } from '../../../adapters/slack/middleware.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai.js';
import { commandRequest, sendSigned, startFakeSlack } from '../../fakes/slack.js';
import { BOT_TOKEN, SIGNING_SECRET, channelId, startSlackHarness, userId, type SlackHarness } from './harness.js';

const ANSWER = 'ANSWER-SOURCE';
let model: FakeOpenAI;
let h: SlackHarness | undefined;
let answer = (question: string) => `Answer to ${question}`;

beforeAll(async () => {
  model = await startFakeOpenAI();
  model.setResponder((body) => {
    const user = String(body.messages.at(-1).content);
    return body.messages[0].content === ANSWER ? answer(user) : user.toUpperCase();
  });
});
afterAll(async () => {
  await model.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async (safety: Record<string, unknown> = {}) => {
  h = await startSlackHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { 'slack:CGENERAL': 'loud', 'slack:COUTAGES': 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0 },
      bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: ANSWER } },
      safety,
    },
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: model.url },
  });
  return h;
};
const posted = (x: SlackHarness) => x.fake.callsTo('chat.postMessage').map((c) => String(c.args.text));

async function restyleAndPost(x: SlackHarness, text: string, channel: string): Promise<void> {
  await x.command(text, 'ana', channel);
  await x.settle();
  const preview = x.ephemerals(`slack:${userId('ana')}`).at(-1)!;
  await x.press('post', preview.buttons.find((b) => b.action === 'post')!.id, 'ana', channel);
  await x.settle();
}

describe('broadcast and group mentions on Slack', () => {
  it('/restyle Post makes <!channel> and <!subteam^…> inert text', async () => {
    const x = await start();
    await restyleAndPost(x, '<!channel> <!subteam^S0ONCALL|@oncall> the server is down, <@UCARL>', 'general');
    expect(posted(x)).toEqual(['&lt;!channel&gt; &lt;!subteam^S0ONCALL|@oncall&gt; THE SERVER IS DOWN, <@UCARL>']);
  });

  it('an answer the answer model was talked into pings no one the asker did not mention', async () => {
    const x = await start();
    answer = () => '<!here> <!EVERYONE> ask <@UCARL> or <@UDAN>';
    await x.mention(`who is on call? <@UDAN> knows`, 'ana', 'general');
    await x.settle();
    expect(posted(x)).toEqual(['&lt;!here&gt; &lt;!EVERYONE&gt; ASK &lt;@UCARL&gt; OR <@UDAN>']);
  });

  it('the platform poster behind /v1/post posts broadcasts inert', async () => {
    const x = await start();
    await x.running.post({ channel: 'slack:CGENERAL', text: '<!here> deploy at 5', origin: { style: null, model: null, neutral: '<!here> deploy at 5' } });
    expect(posted(x)).toEqual(['&lt;!here&gt; deploy at 5']);
  });

  it('a channel in safety.allowBroadcast gets the asker’s broadcasts live; other channels still do not', async () => {
    const x = await start({ allowBroadcast: ['slack:COUTAGES'] });
    await restyleAndPost(x, '<!here> the server is down', 'outages');
    await restyleAndPost(x, '<!here> the server is down', 'general');
    expect(posted(x)).toEqual(['<!here> THE SERVER IS DOWN', '&lt;!here&gt; THE SERVER IS DOWN']);
  });

  it('the restyleSlack middleware makes broadcasts inert for an existing Bolt app, styled or not', async () => {
    const fake = await startFakeSlack();
    const x = await start();
    const mw = restyleSlack(x.ctx.restyler, { store: x.ctx.store });
    const app = new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 }, fetch: mw.fetch }, logLevel: LogLevel.ERROR });
    app.use(mw);
    app.command('/echo', async ({ ack, say, command }) => {
      await ack();
      await say({ text: `${command.text} <@UANA>`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: command.text } }] });
    });
    const server = (await app.start(0)) as unknown as { address(): AddressInfo };
    try {
      for (const [i, channel] of ['general', 'random'].entries()) {
        const res = await sendSigned(`http://127.0.0.1:${server.address().port}/slack/events`, commandRequest({ command: '/echo', text: '<!channel> hi', user: userId('ana'), channel: channelId(channel), responseUrl: fake.responseUrl() }), { secret: SIGNING_SECRET });
        expect(res.status).toBe(200);
        // One at a time, so the posts come in a known order.
        await vi.waitFor(() => expect(fake.callsTo('chat.postMessage')).toHaveLength(i + 1));
      }
      expect(fake.callsTo('chat.postMessage').map((c) => [c.args.text, c.args.blocks[0].text.text])).toEqual([
        ['&lt;!channel&gt; HI <@UANA>', '&lt;!channel&gt; HI'],
        ['&lt;!channel&gt; hi <@UANA>', '&lt;!channel&gt; hi'],
      ]);
    } finally {
      await app.stop();
      await fake.close();
    }
  });
});
