import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/bot/split-message.js';

describe('splitMessage', () => {
  it('keeps short text whole', () => {
    expect(splitMessage('hello', 100)).toEqual(['hello']);
  });

  it('cuts at paragraph breaks before line breaks before spaces', () => {
    const a = 'a'.repeat(50);
    const b = 'b'.repeat(50);
    expect(splitMessage(`${a}\n\n${b}`, 80)).toEqual([a, b]);
    expect(splitMessage(`${a} ${b}`, 80)).toEqual([a, b]);
  });

  it('closes a code fence cut in two and reopens it with its language', () => {
    const code = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const parts = splitMessage(`Intro.\n\n\`\`\`ts\n${code}\n\`\`\`\n\nOutro.`, 120);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(120);
      expect((p.match(/^```/gm) ?? []).length % 2, `balanced fences in:\n${p}`).toBe(0);
    }
    expect(parts[1]!.startsWith('```ts\n')).toBe(true);
    expect(parts.join('\n')).toContain('line 29');
  });

  it('refuses a nonsense limit', () => {
    expect(() => splitMessage('x', 3)).toThrow(/limit/);
  });

  it('never exceeds the limit and loses no words', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,30}$/), { minLength: 1, maxLength: 200 }), fc.constantFrom(' ', '\n', '\n\n'), fc.integer({ min: 40, max: 400 }), (words, sep, limit) => {
        const parts = splitMessage(words.join(sep), limit);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(limit);
        expect(parts.join(' ').split(/\s+/).filter(Boolean)).toEqual(words);
      }),
    );
  });
});
