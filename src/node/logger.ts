/**
 * Logs with pino: JSON lines on stdout for collectors, readable coloured lines (pino-pretty) when a
 * person watches a terminal. The core only sees the {@link Logger} shape.
 */
import { pino } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Logger } from '../core/logger.ts';
import type { LogFormat, LogLevel } from '../core/options.ts';

/** How log lines are written once `auto` is decided. */
export type ResolvedLogFormat = 'json' | 'pretty';

/** `auto` is readable on a terminal and JSON anywhere else (a pipe, a file, a log collector). */
export function toResolvedLogFormat(format: LogFormat, stdoutIsTTY: boolean): ResolvedLogFormat {
  if (format === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return format;
}

/** A pino logger at the given level, writing JSON lines (the default) or readable lines. */
export function createNodeLogger(level: LogLevel, format: ResolvedLogFormat = 'json'): Logger {
  const options = { level, base: { name: 'sse2ws' } };
  const log =
    format === 'pretty'
      ? pino(
          options,
          // In-process and sync, not a transport worker: lines are out before the exit that
          // follows the drain, and the order with the stderr banner holds.
          PinoPretty({
            sync: true,
            singleLine: true,
            translateTime: 'SYS:HH:MM:ss.l',
            ignore: 'pid,hostname,name',
          }),
        )
      : pino(options);
  return {
    debug: (fields, message) => log.debug(fields, message),
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
}
