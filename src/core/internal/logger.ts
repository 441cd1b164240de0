/** The structured logger the core writes to (pino's call shape: fields first, then message). */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => {};

/** A logger that drops everything (tests, embedders that log elsewhere). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
