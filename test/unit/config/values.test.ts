/**
 * The option table's value parsers on their own: what each accepts, what it normalises, and the
 * message it throws (always `<name as given>: <problem>`, as an OptionError).
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../../src/core/config/option-error.ts';
import { toSuggestion } from '../../../src/core/config/suggest.ts';
import {
  parseClaimName,
  parseHosts,
  parseInteger,
  parseList,
  parseOrigins,
  parseRedisUrl,
  parseSwitch,
  parseUrl,
  UPSTREAM_FORMATS,
  parseUpstreamFormat,
} from '../../../src/core/config/values.ts';

/** The OptionError a call throws (the test fails if it throws nothing or something else). */
function thrown(call: () => unknown): OptionError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('expected an OptionError');
}

describe('parseInteger', () => {
  it('takes whole numbers inside the range, space around them included', () => {
    expect(parseInteger('0', 'n', 0, 10)).toBe(0);
    expect(parseInteger(' 10 ', 'n', 0, 10)).toBe(10);
  });

  it('says "must not be negative" for a negative number, and names the option as given', () => {
    const error = thrown(() => parseInteger('-5', '--port', 0, 10));
    expect(error.message).toBe('--port: must not be negative (got "-5")');
    expect(error.option).toBe('--port');
    expect(error.code).toBe('invalid_option');
  });

  it('says "is not a number" for fractions, exponents, hex and empty text', () => {
    for (const raw of ['1.5', '1e3', '0x10', '', ' ']) {
      expect(thrown(() => parseInteger(raw, 'n', 0, 10)).message).toBe(
        `n: "${raw}" is not a number`,
      );
    }
  });

  it('gives the range when the number is outside it', () => {
    expect(thrown(() => parseInteger('11', 'n', 1, 10)).message).toBe(
      'n: 11 is out of range 1..10',
    );
    expect(thrown(() => parseInteger('0', 'n', 1, 10)).message).toBe('n: 0 is out of range 1..10');
  });
});

describe('list parsers', () => {
  it('lower-cases header names and drops blanks', () => {
    expect(parseList(' X-A, ,x-b,', 'h')).toEqual(['x-a', 'x-b']);
    expect(thrown(() => parseList('x a', 'h')).message).toBe('h: "x a" is not a header name');
  });

  it('normalises origins (case, trailing slash) and keeps *', () => {
    expect(parseOrigins('https://App.Example.com/, *', 'o')).toEqual([
      'https://app.example.com',
      '*',
    ]);
  });

  it('refuses an origin with a path, or no scheme', () => {
    for (const raw of ['https://a.example/x', 'a.example']) {
      expect(thrown(() => parseOrigins(raw, 'o')).message).toContain(`"${raw}" is not an origin`);
    }
  });

  it('takes host names with a port and drops :80, and refuses a scheme or a path', () => {
    expect(parseHosts('App.example.com, a.example:8080', 'h')).toEqual([
      'app.example.com',
      'a.example:8080',
    ]);
    expect(parseHosts('a.example:80', 'h')).toEqual(['a.example:80']);
    for (const raw of ['http://a.example', 'a.example/x']) {
      expect(thrown(() => parseHosts(raw, 'h')).message).toContain('is not a host name');
    }
  });
});

describe('single-value parsers', () => {
  it('reads a switch as true/false/1/0 in any case, and nothing else', () => {
    expect(['true', 'TRUE', '1', ' false ', '0'].map((raw) => parseSwitch(raw, 's'))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(thrown(() => parseSwitch('yes', 's')).message).toBe(
      's: "yes" is not one of true, false, 1, 0',
    );
  });

  it('takes only http(s) URLs and returns them normalised', () => {
    expect(parseUrl('HTTP://Example.COM', 'u')).toBe('http://example.com/');
    expect(thrown(() => parseUrl('ws://a.example', 'u')).message).toBe(
      'u: "ws://a.example" is not an http(s) URL',
    );
    expect(thrown(() => parseUrl('nope', 'u')).message).toBe('u: "nope" is not a URL');
  });

  it('keeps a Redis URL as given and never echoes a refused one (it may hold a password)', () => {
    expect(parseRedisUrl('redis://:secret@h:6379/0', 'r')).toBe('redis://:secret@h:6379/0');
    const error = thrown(() => parseRedisUrl('http://:secret@h', 'r'));
    expect(error.message).not.toContain('secret');
  });

  it('takes claim names of word characters, dots, colons and dashes', () => {
    expect(parseClaimName('https:x.y-z', 'c')).toBe('https:x.y-z');
    expect(thrown(() => parseClaimName('a b', 'c')).message).toBe('c: "a b" is not a claim name');
  });

  it('lists the dialects in its message and takes each of them', () => {
    for (const format of UPSTREAM_FORMATS) expect(parseUpstreamFormat(format, 'f')).toBe(format);
    expect(thrown(() => parseUpstreamFormat('sse', 'f')).message).toBe(
      `f: "sse" is not one of ${UPSTREAM_FORMATS.join(', ')}`,
    );
  });
});

describe('toSuggestion', () => {
  const known = ['rateLimit', 'rateLimitBurst', 'port'];

  it('finds a key one or two edits away, case aside', () => {
    expect(toSuggestion('ratelimit', known)).toBe('rateLimit');
    expect(toSuggestion('prot', known)).toBe('port');
  });

  it('prefers the closest and suggests nothing far off', () => {
    expect(toSuggestion('rateLimitBurt', known)).toBe('rateLimitBurst');
    expect(toSuggestion('hostname', known)).toBeUndefined();
  });
});
