import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/log.js';

const TO_BOLT: Record<string, LogLevel> = { trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, fatal: LogLevel.ERROR };

/**
 * Bolt's and the Web API client's logging through our pino logger, so secrets are scrubbed the same way
 * and everything lands in one stream. Bolt's own level follows ours.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const line = (parts: unknown[]): string => parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : safeJson(p))).join(' ');
  return {
    debug: (...m: unknown[]) => logger.debug(`bolt: ${line(m)}`),
    info: (...m: unknown[]) => logger.info(`bolt: ${line(m)}`),
    warn: (...m: unknown[]) => logger.warn(`bolt: ${line(m)}`),
    error: (...m: unknown[]) => logger.error(`bolt: ${line(m)}`),
    setLevel: () => undefined,
    getLevel: () => (logger.level === 'silent' ? LogLevel.ERROR : (TO_BOLT[logger.level] ?? LogLevel.INFO)),
    setName: () => undefined,
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
