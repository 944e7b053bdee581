import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitForDiscord } from '../../../adapters/discord/actions.js';
import { commandDefinitions, toBotCommand } from '../../../adapters/discord/commands.js';
import { discordPlace, stripMention } from '../../../adapters/discord/convert.js';
import { reactionNames, toDiscordEmoji } from '../../../adapters/discord/emoji.js';
import { allowedMentionsFor } from '../../../adapters/discord/mentions.js';

describe('emoji', () => {
  it('maps reactions to configured names and back', () => {
    expect(reactionNames({ id: null, name: '⭐' })).toEqual(['star', '⭐', '⭐']);
    expect(reactionNames({ id: null, name: '👍🏽' })[0]).toBe('+1');
    expect(reactionNames({ id: '42', name: 'keep' })).toEqual(['keep:42', 'keep']);
    expect(reactionNames({ id: null, name: null })).toEqual([]);
    expect(toDiscordEmoji('white_check_mark')).toBe('✅');
    expect(toDiscordEmoji(':star:')).toBe('⭐');
    expect(toDiscordEmoji('keep:42')).toBe('keep:42');
    // What the bot reacts on with each default name, and what the reaction comes back as, agree.
    for (const name of ['star', '+1', '-1']) expect(reactionNames({ id: null, name: toDiscordEmoji(name) })).toContain(name);
  });
});

describe('allowed mentions', () => {
  it('allows only the ids the original mentioned, never everyone', () => {
    expect(allowedMentionsFor('hi <@123456> and <@!234567>, <@&345678> @everyone')).toEqual({ parse: [], users: ['123456', '234567'], roles: [], replied_user: false });
    // Roles and @everyone only in a channel that allows broadcasts (safety.allowBroadcast).
    expect(allowedMentionsFor('hi <@123456>, <@&345678> @everyone', { broadcast: true })).toEqual({ parse: ['everyone'], users: ['123456'], roles: ['345678'], replied_user: false });
    expect(allowedMentionsFor('hi <@123456> <@&345678>', { onBehalfOfUser: true })).toEqual({ parse: [], users: ['123456'], roles: [], replied_user: false });
    expect(allowedMentionsFor('plain')).toEqual({ parse: [], users: [], roles: [], replied_user: false });
    // Issue 13, hole 2: a role in backticks is not live in the original, so it is not allowed in the post.
    expect(allowedMentionsFor('use `<@&345678>` for outages, <@123456>')).toEqual({ parse: [], users: ['123456'], roles: [], replied_user: false });
  });
});

describe('splitting for Discord', () => {
  const fence = (part: string) => (part.match(/^\s*(```|~~~)/gm) ?? []).length;

  it('keeps every part within 2,000 characters with balanced fences, credit included (property)', () => {
    const line = fc.oneof(fc.string({ maxLength: 120 }), fc.constantFrom('```ts', '```', '', '~~~py', '~~~'), fc.lorem({ maxCount: 30 }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 200 }), fc.boolean(), (lines, credited) => {
        const text = lines.join('\n');
        const credit = credited ? '-# Posted by <@123456789012345678> with /restyle (style `loud`)' : undefined;
        const parts = splitForDiscord(text, credit);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
        if (credit) expect(parts.at(-1)!.endsWith(credit)).toBe(true);
        // A text with balanced fences gives parts with balanced fences.
        if (fence(text) % 2 === 0) for (const p of parts) expect(fence(credit ? p.replace(credit, '') : p) % 2).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('reopens a cut code fence with its language', () => {
    const code = Array.from({ length: 120 }, (_, i) => `print(${i})  # line ${i}`).join('\n');
    const parts = splitForDiscord(`Intro.\n\n\`\`\`python\n${code}\n\`\`\`\nDone.`);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]!.endsWith('```')).toBe(true);
    expect(parts[1]!.startsWith('```python\n')).toBe(true);
  });
});

describe('commands and places', () => {
  it('turns /restyle options into the neutral command', () => {
    const opts = (sub: string, values: Record<string, string>) => ({
      options: { getSubcommand: () => sub, getString: (n: string) => values[n] ?? null } as never,
    });
    expect(toBotCommand(opts('text', { text: 'Hello' }))).toEqual({ kind: 'restyle', text: 'Hello' });
    expect(toBotCommand(opts('text', { text: 'style=quiet Hello' }))).toEqual({ kind: 'restyle', text: 'Hello', style: 'quiet' });
    expect(toBotCommand(opts('text', { text: 'help' }))).toEqual({ kind: 'restyle', text: 'help' });
    expect(toBotCommand(opts('text', { text: 'Hi', style: 'loud' }))).toEqual({ kind: 'restyle', text: 'Hi', style: 'loud' });
    expect(toBotCommand(opts('map', { style: 'loud' }))).toEqual({ kind: 'map', style: 'loud' });
    expect(toBotCommand(opts('forget', {}))).toEqual({ kind: 'forget' });
    expect(commandDefinitions()).toHaveLength(3);
  });

  it("uses a thread's parent for the key and the thread for posting", () => {
    const thread = { id: '2', parentId: '1', isThread: () => true, isDMBased: () => false };
    expect(discordPlace(thread)).toEqual({ key: 'discord:1', platform: 'discord', channelId: '2', isDirect: false });
    expect(stripMention('<@99> what <@!99> now?', '99')).toBe('what now?');
  });
});
