import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

/** The logger every module receives (pino's, so child loggers and levels work the usual way). */
export type Logger = PinoLogger;

/**
 * Paths pino blanks out wherever they appear in a log object: tokens must never reach a log line,
 * even when someone logs a whole request or config object.
 */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'apiToken',
  '*.apiToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default so stdout stays clean for command output. */
  destination?: DestinationStream;
  /** Secret values to scrub from messages too (belt and braces for strings pino can't see as paths). */
  secrets?: ReadonlyArray<string | undefined>;
  /**
   * Human-readable lines (pino-pretty) instead of JSON: for a terminal. Written to this stream (the
   * process's stderr when `true`). JSON stays the default for servers, CI and files.
   */
  pretty?: boolean | NodeJS.WritableStream;
}

/** pino-pretty, loaded only when a terminal wants it: JSON runs never pay for importing it. */
function prettyDestination(to: NodeJS.WritableStream | undefined): DestinationStream {
  const build = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => DestinationStream;
  return build({ destination: to ?? 2, sync: true, colorize: to === undefined ? undefined : false, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
}

/** Whether a stream is a terminal (pretty logs) rather than a pipe or file (JSON). */
export function isTerminal(stream: unknown): boolean {
  return Boolean((stream as { isTTY?: boolean } | undefined)?.isTTY);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 6);
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      ...(secrets.length > 0
        ? {
            hooks: {
              logMethod(args, method) {
                method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a)) as Parameters<typeof method>);
              },
            },
          }
        : {}),
    },
    options.destination ?? (options.pretty ? prettyDestination(options.pretty === true ? undefined : options.pretty) : pino.destination({ fd: 2, sync: true })),
  );
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function scrub(text: string, secrets: ReadonlyArray<string>): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}
