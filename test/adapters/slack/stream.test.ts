import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { channelId, startSlackHarness, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const PARAS = ['The **deploy** finished at 10:30.', 'Every check passed; see [the run](https://ci.example.com/run/7).', 'Nothing else needs doing.', 'Ping me if it breaks.'];
const ANSWER = PARAS.join('\n\n');

let h: SlackHarness | undefined;

const model = useFakeOpenAI();
beforeEach(() => {
  model.reset();
  model.setResponder((body) => (body.model === 'answer-1' ? ANSWER : (body.messages.at(-1).content as string).toUpperCase()));
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(stream = true): Promise<SlackHarness> {
  h = await startSlackHarness({
    config: {
      styles: { loud: { model: 'loud-1' } },
      channels: { [`slack:${channelId('general')}`]: 'loud' },
      restyle: { maxRetries: 0, cacheTtlSeconds: 0, requestTimeoutMs: 5000, maxBlockParagraphs: 1 },
      bot: { answer: { source: 'openai', model: 'answer-1', stream } },
    },
    env: { OPENAI_API_KEY: 'sk-stream', OPENAI_BASE_URL: model.url },
  });
  return h;
}

const styledAnswer = PARAS.map((p) => p.toUpperCase().replace('HTTPS://CI.EXAMPLE.COM/RUN/7', 'https://ci.example.com/run/7')).join('\n\n');

describe('Slack: streamed answers', () => {
  it('streams the styled answer into the thread with chat.startStream/appendStream/stopStream, as Markdown', async () => {
    const x = await start();
    model.setStreamRate(200);
    const ts = await x.mention('how did the deploy go?', 'ana', 'general');
    await x.settle();
    const starts = x.fake.callsTo('chat.startStream');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args).toMatchObject({ channel: channelId('general'), thread_ts: ts, recipient_user_id: 'UANA', recipient_team_id: x.fake.bot.teamId });
    // One call per styled block at most (the start carries the first), then the stop.
    expect(x.fake.callsTo('chat.appendStream').length).toBeLessThanOrEqual(2 * PARAS.length);
    expect(x.fake.callsTo('chat.stopStream')).toHaveLength(1);
    expect(x.fake.callsTo('chat.postMessage')).toHaveLength(0);
    const [reply] = x.posts(`slack:${channelId('general')}`);
    expect(reply).toMatchObject({ text: styledAnswer, thread: ts });
    const stored = x.fake.messages(channelId('general')).find((m) => m.ts === reply!.id)!;
    // markdown_text: Slack renders **bold** and [label](url) itself; the URL reached no model.
    expect(stored).toMatchObject({ markdown: true, streaming: false });
    expect(stored.text).toContain('[THE RUN](https://ci.example.com/run/7)');
    expect(x.fake.callsTo('assistant.threads.setStatus')[0]!.args).toMatchObject({ channel_id: channelId('general'), thread_ts: ts });
  });

  it('shows the first styled block before the answer has finished arriving', async () => {
    const x = await start();
    model.setStreamRate(200);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The answer model's stream is still open until the last block's styling is let go.
    model.setResponder(async (body) => {
      if (body.model === 'answer-1') return ANSWER;
      const text = body.messages.at(-1).content as string;
      if (text.startsWith('Ping')) await held;
      return text.toUpperCase();
    });
    await x.mention('how did the deploy go?', 'ana', 'general');
    await vi.waitFor(() => expect(x.fake.callsTo('chat.startStream')).toHaveLength(1), { timeout: 10_000 });
    expect(x.fake.callsTo('chat.stopStream')).toHaveLength(0);
    expect(x.fake.callsTo('chat.startStream')[0]!.args.markdown_text).toBe('THE **DEPLOY** FINISHED AT 10:30.');
    release();
    await x.settle();
    expect(x.fake.callsTo('chat.stopStream')).toHaveLength(1);
  });

  it('a streamed answer pings only whom the asker mentioned: other mention markup goes out as plain text, streamed or in the fallback', async () => {
    const x = await start();
    // A prompt-injected answer model, paging the channel and a user nobody asked to ping, beside the asker's own.
    model.setResponder((body) => (body.model === 'answer-1' ? 'Done. <!channel> and <@UBOSS|boss>, look. cc <@UCARL>\n\nAlso <!here>.' : (body.messages.at(-1).content as string).toUpperCase()));
    for (const refuse of [false, true]) {
      if (refuse) x.fake.refuseStreaming('not_allowed_token_type');
      await x.mention(`status ${refuse ? 'again' : 'please'}, cc <@UCARL>`, 'ana', 'general');
      await x.settle();
    }
    const written = ['chat.startStream', 'chat.appendStream', 'chat.postMessage', 'chat.update'].flatMap((m) => x.fake.callsTo(m)).map((c) => String(c.args.markdown_text ?? c.args.text ?? ''));
    expect(written.join('\n')).toContain('@channel');
    for (const text of written) expect(text.replaceAll('<@UCARL>', '')).not.toMatch(/<[!@]/);
    const replies = x.posts(`slack:${channelId('general')}`).map((p) => p.text);
    expect(replies).toEqual(['DONE. @channel AND @boss, LOOK. CC <@UCARL>\n\nALSO @here.', 'DONE. @channel AND @boss, LOOK. CC <@UCARL>\n\nALSO @here.']);
  });

  it('falls back to chat.postMessage + chat.update when Slack refuses streaming, losing no text', async () => {
    const x = await start();
    x.fake.refuseStreaming('not_allowed_token_type');
    model.setStreamRate(200);
    const ts = await x.mention('how did the deploy go?', 'ana', 'general');
    await x.settle();
    expect(x.fake.callsTo('chat.startStream').length).toBeGreaterThan(0);
    const posts = x.fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args).toMatchObject({ thread_ts: ts });
    const [reply] = x.posts(`slack:${channelId('general')}`);
    expect(reply!.text).toBe(styledAnswer);
    // Paced at one call a second (counted at the fake; a window of 1 s may see 2 with network jitter, never 3).
    const writes = [...posts, ...x.fake.callsTo('chat.update')].map((c) => c.at).sort((a, b) => a - b);
    expect(writes.length).toBeGreaterThan(1);
    for (let i = 2; i < writes.length; i++) expect(writes[i]! - writes[i - 2]!).toBeGreaterThanOrEqual(1000);
  });

  it('falls back mid-stream when appendStream is refused: the text shown stays, the rest follows in a new message', async () => {
    const x = await start();
    model.setStreamRate(200);
    x.fake.failNext('chat.appendStream', { error: 'feature_not_enabled' }, 100);
    const ts = await x.mention('how did the deploy go?', 'ana', 'general');
    await x.settle();
    const replies = x.posts(`slack:${channelId('general')}`);
    expect(replies.length).toBe(2);
    expect(replies.every((r) => r.thread === ts)).toBe(true);
    expect(replies.map((r) => r.text.trim()).join('\n\n')).toBe(styledAnswer);
  });

  it('an answer cut off mid-stream: what was styled is posted, the rest as it arrived, and it says it was cut off', async () => {
    const x = await start();
    model.setStreamRate(200);
    model.cutNextStream(16);
    await x.mention('how did the deploy go?', 'ana', 'general');
    await x.settle();
    const [reply] = x.posts(`slack:${channelId('general')}`);
    expect(reply!.text).toMatch(/^THE \*\*DEPLOY\*\* FINISHED AT 10:30\.\n\nEVERY CHECK PASSED/);
    // The last complete paragraph was not final yet when the stream broke: it is posted as it arrived.
    expect(reply!.text).toContain('\n\nNothing else needs doing.\n\nPing');
    expect(reply!.text).toMatch(/The answer was cut off before it was finished\.\)_$/);
    expect(reply!.text).not.toContain('Ping me');
  });

  it('the styler failing mid-answer: the blocks after it are posted as written, and nothing is lost', async () => {
    const x = await start();
    model.setStreamRate(200);
    // The style model goes down after the first block (a 500 for every other block).
    model.setResponder((body) => {
      if (body.model === 'answer-1') return ANSWER;
      const text = body.messages.at(-1).content as string;
      if (!text.startsWith('The ')) throw new Error('style model down');
      return text.toUpperCase();
    });
    await x.mention('how did the deploy go?', 'ana', 'general');
    await x.settle();
    const [reply] = x.posts(`slack:${channelId('general')}`);
    expect(reply!.text.startsWith('THE **DEPLOY** FINISHED AT 10:30.\n\n')).toBe(true);
    expect(reply!.text.endsWith(PARAS.slice(1).join('\n\n').slice(-60))).toBe(true);
    // Every paragraph is there once: styled or as written.
    for (const p of PARAS) expect(reply!.text.includes(p) || reply!.text.includes(p.toUpperCase())).toBe(true);
  });

  it('not streamed, the answer Markdown is posted as Slack mrkdwn, code and URL untouched', async () => {
    const x = await start(false);
    model.setResponder((body) => (body.model === 'answer-1' ? '# Status\nThe **deploy** is done; see [the run](https://ci.example.com/run/7) and `npm **ci**`.' : (body.messages.at(-1).content as string).toUpperCase()));
    await x.mention('status?', 'ana', 'general');
    await x.settle();
    expect(x.fake.callsTo('chat.startStream')).toHaveLength(0);
    const [reply] = x.posts(`slack:${channelId('general')}`);
    expect(reply!.text).toBe('*STATUS*\nTHE *DEPLOY* IS DONE; SEE <https://ci.example.com/run/7|THE RUN> AND `npm **ci**`.');
  });

  it('a long streamed answer continues in a new streamed message at the limit, nothing lost', async () => {
    const x = await start();
    const long = Array.from({ length: 8 }, (_, i) => `Paragraph ${i}: ${'the deploy went fine and every check passed '.repeat(11).trim()}.`);
    model.setResponder((body) => (body.model === 'answer-1' ? long.join('\n\n') : (body.messages.at(-1).content as string).toUpperCase()));
    const ts = await x.mention('tell me everything', 'ana', 'general');
    await x.settle();
    const replies = x.posts(`slack:${channelId('general')}`);
    expect(x.fake.callsTo('chat.startStream').length).toBe(replies.length);
    expect(replies.length).toBeGreaterThan(1);
    expect(x.fake.callsTo('chat.stopStream')).toHaveLength(replies.length);
    for (const r of replies) {
      expect(r.thread).toBe(ts);
      expect(r.text.length).toBeLessThanOrEqual(3000);
    }
    expect(replies.map((r) => r.text.trim()).join('\n\n')).toBe(long.map((p) => p.toUpperCase()).join('\n\n'));
  });
});
