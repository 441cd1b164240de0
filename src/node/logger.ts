/**
 * Logs with pino: JSON lines on stdout for collectors, readable coloured lines (pino-pretty) when a
 * person watches a terminal. The core only sees the {@link Logger} shape.
 *
 * pino-pretty is an optional peer dependency (a production install has no use for it): `auto`
 * falls back to JSON without it, and an explicit `pretty` says what to install.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import { OptionError, type LogFormat, type LogLevel, type Logger } from '../core/index.ts';

type PrettyFactory = typeof PinoPretty;

/** pino-pretty if it is installed (it is CommonJS, so a synchronous require loads it). */
function loadPinoPretty(): PrettyFactory | undefined {
  try {
    return createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** How log lines are written once `auto` is decided. */
export type ResolvedLogFormat = 'json' | 'pretty';

/**
 * `auto` is readable on a terminal and JSON anywhere else (a pipe, a file, a log collector), or
 * without pino-pretty installed.
 */
export function toResolvedLogFormat(
  format: LogFormat,
  stdoutIsTTY: boolean,
  prettyInstalled: boolean = loadPinoPretty() !== undefined,
): ResolvedLogFormat {
  if (format === 'auto') return stdoutIsTTY && prettyInstalled ? 'pretty' : 'json';
  return format;
}

/**
 * A pino logger at the given level, writing JSON lines (the default) or readable lines.
 * @throws OptionError for `pretty` when pino-pretty is not installed.
 */
export function createNodeLogger(level: LogLevel, format: ResolvedLogFormat = 'json'): Logger {
  const options = { level, base: { name: 'sse2ws' } };
  const PinoPretty = format === 'pretty' ? loadPinoPretty() : undefined;
  if (format === 'pretty' && !PinoPretty) {
    throw new OptionError(
      '--log-format: "pretty" needs the optional pino-pretty package (npm install pino-pretty); use json or auto',
    );
  }
  const log = PinoPretty
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
