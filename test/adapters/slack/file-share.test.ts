import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startSlackHarness, type SlackHarness } from './harness.js';
import { useFakeOpenAI } from '../../support/fake-openai.js';

const fixture = (name: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/slack-requests', name), 'utf8')) as { event: Record<string, unknown> };

let h: SlackHarness | undefined;
const lines: Array<Record<string, unknown>> = [];

const model = useFakeOpenAI({ responder: (body: { messages: Array<{ content: string }> }) => `Answer to: ${body.messages.at(-1)!.content}` });
afterEach(async () => {
  await h?.close();
  h = undefined;
  lines.length = 0;
});

async function start(): Promise<SlackHarness> {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  h = await startSlackHarness({
    config: { bot: { answer: { source: 'openai', model: 'answer-1', systemPrompt: 'ANSWER' } }, restyle: { maxRetries: 0 } },
    env: { OPENAI_API_KEY: 'sk-files', OPENAI_BASE_URL: model.url },
    logger,
  });
  return h;
}

describe('Slack messages that carry a file', () => {
  it('a DM with a file (bolt-python file_share, channel_type im) is answered from its text, and told the file was not read', async () => {
    const x = await start();
    const { event } = fixture('file_share_in_dm.json');
    expect(event).toMatchObject({ subtype: 'file_share', channel_type: 'im', text: 'Can you check this log file?' });
    const r = await x.event(event);
    expect(r.status).toBe(200);
    await x.settle();
    const posts = x.fake.messages('D111').filter((m) => m.bot_id === x.fake.bot.botId);
    expect(posts.map((p) => p.text)).toEqual(['Answer to: Can you check this log file?']);
    const notes = x.fake.callsTo('chat.postEphemeral').map((c) => c.args);
    expect(notes).toEqual([expect.objectContaining({ channel: 'D111', user: 'U111', text: "I answered your text only: I don't read attached files (file.png not read)." })]);
    // A file named like a broadcast mention is named inertly.
    await x.event({ ...event, ts: '1652227646.700000', files: [{ name: '<!channel>.log' }] });
    await x.settle();
    expect(x.fake.callsTo('chat.postEphemeral').at(-1)!.args.text).toBe("I answered your text only: I don't read attached files (&lt;!channel&gt;.log not read).");
  });

  it('what is ignored is logged at debug level with the reason (a channel file_share, a DM file without text)', async () => {
    const x = await start();
    expect((await x.event(fixture('file_share_in_channel.json').event)).status).toBe(200);
    const dm = fixture('file_share_in_dm.json').event;
    expect((await x.event({ ...dm, text: '', ts: '1652227646.600000' })).status).toBe(200);
    await x.settle();
    const ignored = lines.filter((l) => l.msg === 'slack: message ignored');
    // Each event is handled after its ack, so the two lines may come in either order.
    expect(ignored.map((l) => [l.level, l.channel, l.reason]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      [20, 'C111', 'not a direct message (channel messages that mention the bot arrive as app_mention)'],
      [20, 'D111', 'a file without text (files are not read)'],
    ]);
    expect(x.fake.messages('C111').filter((m) => m.bot_id === x.fake.bot.botId)).toEqual([]);
    expect(x.fake.callsTo('chat.postEphemeral').map((c) => c.args.text)).toEqual(["I don't read attached files: send your question as text."]);
  });
});
