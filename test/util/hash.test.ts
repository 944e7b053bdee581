import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Of } from '../../src/util/hash.js';

describe('sha256Of', () => {
  // Cache keys, split ranks and pair hashes already on disk were made with createHash: the digests must not move.
  it.each(['', 'restyle-editor-v1\u0000{"model":"editor-1"}', 'Ünïcödé ⟦0⟧ 😀 text', 'x'.repeat(100_000)])('%#: the digest createHash gives, hex and base64', (text) => {
    expect(sha256Of(text)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(sha256Of(text, 'base64')).toBe(createHash('sha256').update(text).digest('base64'));
  });
});
