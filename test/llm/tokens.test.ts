import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countMessageTokens, countTokens, estimateMessageTokens, estimateTokens } from '../../src/llm/tokens.js';
import type { ChatMessage } from '../../src/llm/types.js';
import { UsageMeter } from '../../src/llm/usage.js';

describe('tokens', () => {
  it('counts with o200k_base', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(countTokens('see <|endoftext|> here')).toBeGreaterThan(3);
  });

  it('message framing matches the chat encoding OpenAI uses for gpt-4o', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Please, rewrite the provided text in your style:' },
      { role: 'user', content: 'Your order shipped today; tracking is in your account.' },
    ];
    expect(countMessageTokens(messages)).toBe(encodeChat(messages, 'gpt-4o').length);
  });

  it('the estimate is chars/4 plus the same framing, close to the real count for English', () => {
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('abcdefghi')).toBe(3);
    const text = 'The quick brown fox jumps over the lazy dog, and then it naps in the warm afternoon sun.';
    const messages: ChatMessage[] = [{ role: 'user', content: text.repeat(5) }];
    const ratio = estimateMessageTokens(messages) / countMessageTokens(messages);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.5);
  });
});

describe('UsageMeter', () => {
  it('accumulates tokens and requests per model, and snapshots are copies', () => {
    const meter = new UsageMeter();
    meter.add('a', { promptTokens: 10, completionTokens: 5, totalTokens: 15 });
    meter.add('a', { promptTokens: 1, completionTokens: 2 });
    meter.add('b', { promptTokens: 7, completionTokens: 0, totalTokens: 7 });
    const snap = meter.snapshot();
    expect(snap.byModel.a).toEqual({ promptTokens: 11, completionTokens: 7, totalTokens: 18, requests: 2 });
    expect(snap.total).toEqual({ promptTokens: 18, completionTokens: 7, totalTokens: 25, requests: 3 });
    meter.add('a', { promptTokens: 100 });
    expect(snap.byModel.a!.promptTokens).toBe(11);
    meter.reset();
    expect(meter.snapshot().total.requests).toBe(0);
  });
});
