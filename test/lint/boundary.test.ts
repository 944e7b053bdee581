/**
 * The architecture rule in eslint.config.js, run through ESLint itself on sources placed (virtually) in
 * the tree: src/ never imports adapters/, the composition root or a chat SDK, at any depth.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => source.split('\n')[m.line - 1]!);
}

const FORBIDDEN = [
  "import { a } from '../../../adapters/slack/app.js';",
  "import { b } from '../../../../adapters/discord/client.js';",
  "import { c } from '../adapters/platforms.js';",
  "import { d } from '../../app/main.js';",
  "import { App } from '@slack/bolt';",
  "import { WebClient } from '@slack/web-api';",
  "import { REST } from '@discordjs/rest';",
  "import { Client } from 'discord.js';",
  "export { e } from '../../../adapters/http/server.js';",
];
const ALLOWED = ["import { createContext } from '../../app.js';", "import { Restyler } from '../restyle/restyler.js';", "import { z } from 'zod';", "import OpenAI from 'openai';"];

describe('the platform-free boundary (eslint no-restricted-imports)', () => {
  it('flags adapters/, app/ and chat SDK imports from src/ at any depth', async () => {
    const source = [...FORBIDDEN, ...ALLOWED].join('\n');
    expect(await restricted('src/training/export/deep/fixture.ts', source)).toEqual(FORBIDDEN);
    expect(await restricted('src/fixture.ts', source)).toEqual(FORBIDDEN);
  });

  it('lets adapters/ and the composition root import them', async () => {
    expect(await restricted('adapters/slack/fixture.ts', FORBIDDEN.join('\n'))).toEqual([]);
    expect(await restricted('app/fixture.ts', FORBIDDEN.join('\n'))).toEqual([]);
  });
});
