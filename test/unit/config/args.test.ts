/**
 * The CLI's argv reading (src/node/cli/args.ts, node:util's parseArgs driven by the option table):
 * the argument forms a command line can take, and that each is either read as the table says or
 * refused with the message the CLI has always printed.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/core/config/option-error.ts';
import { defaultOptions, toResolvedOptions } from '../../../src/core/config/resolve.ts';
import { parseOptions } from '../../../src/node/cli/args.ts';

/** The message of the OptionError reading `argv` throws. */
function refusal(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseOptions(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe('argument forms', () => {
  it('reads --name value and --name=value alike, the last repeat winning', () => {
    expect(parseOptions(['--port', '1', '--port=2', '--host', 'h'], {}).options).toEqual({
      ...defaultOptions(),
      port: 2,
      host: 'h',
    });
  });

  it('takes a value starting with one dash, so the parser can say what is wrong with it', () => {
    expect(refusal(['--port', '-5'])).toBe('--port: must not be negative (got "-5")');
  });

  it('reads --name= as an empty value, checked like any other', () => {
    expect(refusal(['--port='])).toBe('--port: "" is not a number');
    expect(refusal(['--playground='])).toBe('--playground: "" is not one of true, false, 1, 0');
  });

  it('refuses "--" and anything after it, and a positional argument', () => {
    expect(refusal(['--', '--port', '1'])).toBe('--: unknown option (see --help)');
    expect(refusal(['--port', '1', 'extra'])).toBe('extra: unknown option (see --help)');
    expect(refusal(['-'])).toBe('-: unknown option (see --help)');
  });

  it('refuses short options and groups of them as typed (only -h and -v exist, alone)', () => {
    expect(refusal(['-p5'])).toBe('-p5: unknown option (see --help)');
    expect(refusal(['-hv'])).toBe('-hv: unknown option (see --help)');
    expect(refusal(['-port'])).toBe('-port: unknown option (see --help)');
  });

  it('refuses a misspelt long option with its value as typed', () => {
    expect(refusal(['--PORT=1'])).toBe('--PORT=1: unknown option (see --help)');
    expect(refusal(['---port', '1'])).toBe('---port: unknown option (see --help)');
  });

  it('says "missing value" when the value would be "--" or the next flag', () => {
    expect(refusal(['--port', '--'])).toBe('--port: missing value');
    expect(refusal(['--config', '--port=1'])).toBe('--config: missing value');
  });

  it('refuses a value on --no-<switch>, and --no- on an option that takes a value', () => {
    expect(refusal(['--no-jwt-require-exp=true'])).toBe('--no-jwt-require-exp: takes no value');
    expect(refusal(['--no-port'])).toBe('--no-port: unknown option (see --help)');
  });

  it('reports a malformed command line before a bad value given earlier', () => {
    expect(refusal(['--port', 'abc', '--bogus'])).toBe('--bogus: unknown option (see --help)');
  });

  it('names the switch as typed in a value error', () => {
    expect(refusal(['--jwt-require-exp=maybe'])).toBe(
      '--jwt-require-exp: "maybe" is not one of true, false, 1, 0',
    );
  });
});

describe('--help and --version', () => {
  it('wins over anything else and checks nothing', () => {
    expect(parseOptions(['--bogus', '-h'], { SSE2WS_PORT: 'x' })).toEqual({
      options: defaultOptions(),
      help: true,
      version: false,
    });
    expect(parseOptions(['--port', 'x', '--version'], {})).toEqual({
      options: defaultOptions(),
      help: false,
      version: true,
    });
  });

  it('is only the exact argument, not a value form', () => {
    expect(refusal(['--help=1'])).toBe('--help=1: unknown option (see --help)');
  });
});

describe('flags and env vars (toResolvedOptions, shared with the Workers entry)', () => {
  it('lets a flag win over the env var without checking the env var', () => {
    expect(parseOptions(['--rate-limit', '3'], { SSE2WS_RATE_LIMIT: 'x' }).options.rateLimit).toBe(
      3,
    );
  });

  it('resolves the same options from env vars as the CLI does with no flags', () => {
    const env = { SSE2WS_PORT: '9', PORT: '7', SSE2WS_PLAYGROUND: '0', SSE2WS_LOG_LEVEL: 'warn' };
    expect(toResolvedOptions(env)).toEqual(parseOptions([], env).options);
    expect(toResolvedOptions(env)).toMatchObject({ port: 9, playground: false, logLevel: 'warn' });
  });

  it('names the env var it could not read', () => {
    expect(refusal([], { SSE2WS_RATE_LIMIT: '-1' })).toBe(
      'SSE2WS_RATE_LIMIT: must not be negative (got "-1")',
    );
  });
});
