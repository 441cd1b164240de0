/** The one error every option check throws, whatever the source (flag, env var, library call). */

/**
 * What was wrong with an option: a bad value, a key no entry point knows, or an option the entry
 * point it was given to cannot honour.
 */
export type OptionErrorCode = 'invalid_option' | 'unknown_option' | 'unsupported_option';

/** An option value that failed validation; the message names the option and the problem. */
export class OptionError extends Error {
  /** What kind of problem. @default "invalid_option" */
  readonly code: OptionErrorCode;
  /** The option as it was given (`rateLimit`, `--rate-limit`, `SSE2WS_RATE_LIMIT`), when one is at fault. */
  readonly option: string | undefined;

  constructor(
    message: string,
    details: { code?: OptionErrorCode; option?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'OptionError';
    this.code = details.code ?? 'invalid_option';
    this.option = details.option;
  }
}
