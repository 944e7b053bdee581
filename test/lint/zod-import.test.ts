/**
 * The zod import rule in eslint.config.js, run through ESLint itself: only the namespace form lets esbuild
 * tree-shake zod in the start-up bundle (scripts/bundle.js); `{ z }` and the default import are flagged.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function flagged(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => source.split('\n')[m.line - 1]!);
}

const FLAGGED = ["import { z } from 'zod';", "import z from 'zod';", "import { z as zod, ZodError } from 'zod';"];
const ALLOWED = ["import * as z from 'zod';", "import type { z } from 'zod';", "import type * as zz from 'zod';", "import { ZodError } from 'zod';"];

describe("zod imports (eslint: import * as z from 'zod')", () => {
  it.each(['src/config/fixture.ts', 'adapters/slack/fixture.ts', 'app/fixture.ts'])('flags the whole-`z` imports in %s', async (file) => {
    expect(await flagged(file, [...FLAGGED, ...ALLOWED].join('\n'))).toEqual(FLAGGED);
  });
});
