import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ingest, resolveInputs } from '../../src/corpus/ingest.js';
import type { SourceDoc } from '../../src/corpus/source.js';
import { tmpDir } from '../support/tmp.js';

async function collect(paths: string[], cwd: string, author?: string): Promise<{ docs: SourceDoc[]; warnings: string[] }> {
  const docs: SourceDoc[] = [];
  const warnings: string[] = [];
  for await (const d of ingest(resolveInputs(paths, cwd), cwd, { warn: (m) => warnings.push(m), ...(author ? { author } : {}) })) docs.push(d);
  return { docs, warnings };
}

const day1 = [
  { type: 'message', user: 'U1', text: 'Ahoy crew, the &lt;release&gt; sails at dawn &amp; not a minute later.', ts: '1700000000.000100' },
  { type: 'message', subtype: 'channel_join', user: 'U3', text: '<@U3> has joined the channel', ts: '1700000000.000200' },
  { type: 'message', user: 'U2', text: 'Sounds good.', ts: '1700000000.000300' },
  { type: 'message', bot_id: 'B1', text: 'Build passed', ts: '1700000000.000400' },
];
const day2 = [{ type: 'message', user: 'U1', text: 'Hoist the changelog, mateys!', ts: '1700086400.000100' }];

function slackFolder(root: string): string {
  const dir = join(root, 'export');
  mkdirSync(join(dir, 'general'), { recursive: true });
  writeFileSync(join(dir, 'channels.json'), '[{"id":"C1","name":"general"}]');
  writeFileSync(join(dir, 'general', '2023-11-14.json'), JSON.stringify(day1));
  writeFileSync(join(dir, 'general', '2023-11-15.json'), JSON.stringify(day2));
  return dir;
}

describe('chat exports', () => {
  it('reads a Slack export folder: people\'s messages only, one document per channel-day, ts as provenance', async () => {
    const cwd = tmpDir('slack-export');
    slackFolder(cwd);
    const { docs, warnings } = await collect(['export'], cwd);
    expect(warnings).toEqual([]);
    expect(docs.map((d) => [d.id, d.ref, d.text])).toEqual([
      ['export/general/2023-11-14.json', '1700000000.000100', 'Ahoy crew, the <release> sails at dawn & not a minute later.'],
      ['export/general/2023-11-14.json', '1700000000.000300', 'Sounds good.'],
      ['export/general/2023-11-15.json', '1700086400.000100', 'Hoist the changelog, mateys!'],
    ]);
  });

  it('reads the same export as a .zip, and --author keeps one user', async () => {
    const cwd = tmpDir('slack-zip');
    const zip = zipSync({
      'export/channels.json': strToU8('[]'),
      'export/general/2023-11-14.json': strToU8(JSON.stringify(day1)),
      'export/general/2023-11-15.json': strToU8(JSON.stringify(day2)),
    });
    writeFileSync(join(cwd, 'export.zip'), zip);
    const { docs } = await collect(['export.zip'], cwd, 'U1');
    expect(docs.map((d) => d.text)).toEqual(['Ahoy crew, the <release> sails at dawn & not a minute later.', 'Hoist the changelog, mateys!']);
    expect(docs[0]!.id).toBe('export.zip/general/2023-11-14.json');
  });

  it('reads a DiscordChatExporter JSON file, skipping bots and system messages', async () => {
    const cwd = tmpDir('discord-export');
    writeFileSync(
      join(cwd, 'chan.json'),
      JSON.stringify({
        guild: { id: '1', name: 'g' },
        channel: { id: '2', name: 'general' },
        messages: [
          { id: '10', type: 'Default', content: 'Well met, travellers.', author: { id: '7', name: 'ana', isBot: false } },
          { id: '11', type: 'Default', content: 'beep', author: { id: '8', name: 'bot', isBot: true } },
          { id: '12', type: 'ChannelPinnedMessage', content: 'pinned', author: { id: '7', name: 'ana' } },
          { id: '13', type: 'Reply', content: 'Aye.', author: { id: '9', name: 'bo' } },
        ],
      }),
    );
    const all = await collect(['chan.json'], cwd);
    // No timestamps: the whole file is one document.
    expect(all.docs.map((d) => d.id)).toEqual(['chan.json', 'chan.json']);
    expect(all.docs.map((d) => [d.ref, d.text])).toEqual([
      ['10', 'Well met, travellers.'],
      ['13', 'Aye.'],
    ]);
    expect((await collect(['chan.json'], cwd, 'ana')).docs.map((d) => d.ref)).toEqual(['10']);
  });

  it('a .json that is not a Discord export, or a corrupt zip, is a clear error naming the file', async () => {
    const cwd = tmpDir('bad-export');
    writeFileSync(join(cwd, 'x.json'), '{"a":1}');
    await expect(collect(['x.json'], cwd)).rejects.toMatchObject({ code: 'file_invalid', message: 'x.json: not a DiscordChatExporter export (expected "channel" and "messages")' });
    writeFileSync(join(cwd, 'bad.zip'), 'not a zip');
    await expect(collect(['bad.zip'], cwd)).rejects.toMatchObject({ code: 'file_invalid', message: expect.stringMatching(/^bad\.zip: not a readable zip/) });
  });
});
