import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

const help = async (...command: string[]): Promise<string> => {
  const r = await runInProcess([...command, '--help'], { env: {}, cwd: tmpDir('vocabulary') });
  return r.stdout;
};

describe('one vocabulary across commands', () => {
  it('every --style has -s, every --data is the corpus folder, polling is --poll-seconds', async () => {
    const pages = {
      text: await help('text'),
      'corpus build': await help('corpus', 'build'),
      train: await help('train'),
      'train watch': await help('train', 'watch'),
      'train check': await help('train', 'check'),
      eval: await help('eval'),
    };
    for (const [name, page] of Object.entries(pages)) {
      if (page.includes('--style')) expect(page, name).toContain('-s, --style <name>');
      if (page.includes('--data')) expect(page, name).toMatch(/--data <dir>\s+the corpus folder/);
      expect(page, name).not.toMatch(/--poll </);
    }
    expect(pages['corpus build']).toContain('--poll-seconds <n>');
    expect(pages.train).toContain('--poll-seconds <n>');
    expect(pages['train watch']).toContain('--poll-seconds <n>');
  });
});
