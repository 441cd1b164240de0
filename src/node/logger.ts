/** Structured JSON logs on stdout with pino; the core only sees the {@link Logger} shape. */
import { pino } from 'pino';
import type { Logger } from '../core/logger.ts';
import type { LogLevel } from '../core/options.ts';

/** A pino logger at the given level. */
export function createNodeLogger(level: LogLevel): Logger {
  const log = pino({ level, base: { name: 'sse2ws' } });
  return {
    debug: (fields, message) => log.debug(fields, message),
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
}
