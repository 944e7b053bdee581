import { describe, expect, it } from 'vitest';
import { jsonText } from '../../src/util/json-text.js';

describe('jsonText', () => {
  it('is JSON.stringify, except that a value nested too deeply is the caller\'s error, with the overflow as its cause', () => {
    expect(jsonText({ a: [1, 'x'] }, () => new Error('unused'))).toBe('{"a":[1,"x"]}');
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    let seen: RangeError | undefined;
    expect(() => jsonText(deep, (overflow) => ((seen = overflow), new Error('too deep')))).toThrow('too deep');
    expect(seen).toBeInstanceOf(RangeError);
    // Anything else is thrown as it is.
    expect(() => jsonText({ n: 1n }, () => new Error('unused'))).toThrow(TypeError);
  });
});
