import { describe, expect, it } from 'vitest';
import { markdownToMrkdwn } from '../../../adapters/slack/markdown.js';

describe('markdownToMrkdwn', () => {
  it('converts bold, italic, strikethrough, links and headings', () => {
    expect(markdownToMrkdwn('# Deploy status\nThe **deploy** is *done*, ~~late~~; see [the run](https://ci.example.com/run/7).')).toBe(
      '*Deploy status*\nThe *deploy* is _done_, ~late~; see <https://ci.example.com/run/7|the run>.',
    );
    expect(markdownToMrkdwn('## **Already bold**')).toBe('*Already bold*');
  });

  it('never touches code spans, code fences or list bullets', () => {
    const text = 'Run `npm **ci**` then:\n\n```md\n# not a heading\n**not bold** [x](https://a.io)\n```\n\n* item one\n* item **two**';
    expect(markdownToMrkdwn(text)).toBe('Run `npm **ci**` then:\n\n```md\n# not a heading\n**not bold** [x](https://a.io)\n```\n\n* item one\n* item *two*');
  });

  it('puts a table in a code block so its columns line up', () => {
    const table = '| service | state |\n| --- | --- |\n| api | **up** |';
    expect(markdownToMrkdwn(`Status:\n\n${table}\n\nDone.`)).toBe(`Status:\n\n\`\`\`\n${table}\n\`\`\`\n\nDone.`);
  });

  it('leaves Slack markup and placeholders as they are', () => {
    expect(markdownToMrkdwn('Ping <@U123> about <https://x.io|docs> ⟦0⟧ *now*')).toBe('Ping <@U123> about <https://x.io|docs> ⟦0⟧ _now_');
  });
});
