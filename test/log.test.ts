import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isTerminal } from '../src/log.js';

describe('logs', () => {
  it('pretty lines for a terminal (pino-pretty), secrets still redacted', () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const logger = createLogger({ pretty: out, secrets: ['sk-secret-123'] });
    logger.info({ apiKey: 'sk-secret-123', port: 3000 }, 'listening with sk-secret-123');
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toMatch(/INFO.*listening with \[redacted\]/);
    expect(text).toContain('port: 3000');
    expect(text).not.toContain('sk-secret-123');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('a terminal is a stream with isTTY; pipes and files get JSON', () => {
    expect(isTerminal({ isTTY: true })).toBe(true);
    expect(isTerminal(new PassThrough())).toBe(false);
    expect(isTerminal(undefined)).toBe(false);
  });
});
