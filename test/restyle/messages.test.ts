import { describe, expect, it } from 'vitest';
import { buildExample, buildMessages, promptHash, promptParams, renderPrompt } from '../../src/restyle/messages.js';
import { DEFAULT_STYLE_PROMPT } from '../../src/config/defaults.js';
import { RestyleError } from '../../src/errors.js';

describe('message builder', () => {
  it('builds system = prompt, user = text', () => {
    expect(buildMessages({ prompt: DEFAULT_STYLE_PROMPT }, 'Hello.')).toEqual([
      { role: 'system', content: 'Please, rewrite the provided text in your style:' },
      { role: 'user', content: 'Hello.' },
    ]);
  });

  it('fills {{params}} from the style, overridden by call-time params', () => {
    const style = { name: 'p', prompt: 'Rewrite in {{ tone }} tone, mood {{mood}}:', params: { tone: 'dry', mood: 'calm' } };
    expect(buildMessages(style, 'x', { mood: 'giddy' })[0]!.content).toBe('Rewrite in dry tone, mood giddy:');
    expect(promptParams(style.prompt)).toEqual(['tone', 'mood']);
  });

  it('a missing parameter is an error naming it and the style', () => {
    try {
      renderPrompt('Use {{tone}}.', {}, 'pirate');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RestyleError);
      expect((error as RestyleError).code).toBe('param_missing');
      expect((error as RestyleError).message).toContain('"tone"');
      expect((error as RestyleError).message).toContain('pirate');
    }
  });

  it('training examples use exactly the inference messages plus the reply', () => {
    const style = { prompt: 'Style it {{tone}}:', params: { tone: 'wry' } };
    const ex = buildExample(style, 'neutral', 'styled');
    expect(ex.messages.slice(0, 2)).toEqual(buildMessages(style, 'neutral'));
    expect(ex.messages[2]).toEqual({ role: 'assistant', content: 'styled' });
  });

  it('prompt hash is stable and changes with the template', () => {
    expect(promptHash('a')).toBe(promptHash('a'));
    expect(promptHash('a')).not.toBe(promptHash('a '));
    expect(promptHash('a')).toMatch(/^[0-9a-f]{16}$/);
  });
});
