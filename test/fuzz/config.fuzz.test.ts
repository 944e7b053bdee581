import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, settingsFrom } from '../../src/config/load.js';
import { RestyleError } from '../../src/errors.js';

/** Either settings or a RestyleError with a one-line message; never any other exception. */
function outcome(fn: () => unknown): 'ok' | 'rejected' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(RestyleError);
    const e = error as RestyleError;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toContain('\n');
    expect(e.exitCode).toBe(2);
    return 'rejected';
  }
}

const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double());
const key = fc.oneof(fc.constantFrom('styles', 'channels', 'restyle', 'llm', 'bot', 'corpus', 'model', 'prompt', 'params', 'baseUrl', 'pirate', 'slack:C1', 'default', 'maxChars', 'onError'), fc.string());

describe('config loader fuzz', () => {
  it('random objects: settings or one clear line', () => {
    const tree = fc.letrec((tie) => ({ node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })) })).node;
    const seen = new Set<string>();
    fc.assert(
      fc.property(tree, (raw) => {
        seen.add(outcome(() => settingsFrom(raw, {})));
      }),
      { numRuns: 400 },
    );
    expect(seen.has('rejected')).toBe(true);
  });

  it('random YAML text: settings or one line naming file (and line:column for syntax errors)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'restyle-fuzz-'));
    const file = join(dir, 'restyle.yaml');
    const piece = fc.constantFrom('styles:', '\n', '  ', 'pirate:', 'model: x', '{', '}', '[', ']', ':', '- ', '"', "'", '#', 'channels:', '"slack:C1": pirate', '&a', '*a', '!!int', '\t', 'restyle:', 'maxChars: -1');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        writeFileSync(file, parts.join(''));
        try {
          loadConfig({ env: {}, path: file, cwd: dir });
        } catch (error) {
          expect(error).toBeInstanceOf(RestyleError);
          expect((error as RestyleError).message).toMatch(/^restyle\.yaml(:\d+:\d+)?: /);
          expect((error as RestyleError).message).not.toContain('\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});
