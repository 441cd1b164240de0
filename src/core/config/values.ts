/**
 * Value parsers: each checks an option's text (from a flag, an env var or a library value turned
 * to text) and returns its value, or throws an OptionError naming the option as it was given.
 */
import { OptionError } from './option-error.ts';
import type { ConversationAccess, LogFormat, LogLevel } from './types.ts';
import { DIALECT_NAMES, type UpstreamFormat } from './upstream-format.ts';

/** Checks one option's text; `name` is the option as given, for the message. */
export type ValueParser<T> = (raw: string, name: string) => T;

/** Throw the OptionError of a bad value: `<name>: <problem>`. */
export const fail = (name: string, problem: string): never => {
  throw new OptionError(`${name}: ${problem}`, { option: name });
};

/** A whole number in `min..max`; negatives and non-digits get their own message. */
export const parseInteger = (raw: string, name: string, min: number, max: number): number => {
  if (!/^\d+$/.test(raw.trim())) {
    const negative = /^-\d+$/.test(raw.trim());
    return fail(
      name,
      negative ? `must not be negative (got "${raw}")` : `"${raw}" is not a number`,
    );
  }
  const n = Number(raw);
  if (n < min || n > max) return fail(name, `${n} is out of range ${min}..${max}`);
  return n;
};

/** A TCP port, `0..65535` (0 picks a free one). */
export const parsePort: ValueParser<number> = (raw, name) => parseInteger(raw, name, 0, 65_535);
/** A duration in ms, up to the largest timer delay (2^31-1). */
export const parseMs: ValueParser<number> = (raw, name) =>
  parseInteger(raw, name, 0, 2_147_483_647);
/** A size in bytes, `1..2^31`. */
export const parseBytes: ValueParser<number> = (raw, name) => parseInteger(raw, name, 1, 2 ** 31);
/** A listen address: trimmed, never empty. */
export const parseHost: ValueParser<string> = (raw, name) =>
  raw.trim() === '' ? fail(name, 'must not be empty') : raw.trim();
/** An http(s) URL, normalised (`URL.href`). */
export const parseUrl: ValueParser<string | undefined> = (raw, name) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(name, `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(name, `"${raw}" is not an http(s) URL`);
  }
  return url.href;
};
/** A comma-separated list of header names, lower-cased. */
export const parseList: ValueParser<string[]> = (raw, name) => {
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(item)) fail(name, `"${item}" is not a header name`);
  }
  return items;
};
/** Any text, as given. */
export const parseOptionalText: ValueParser<string | undefined> = (raw) => raw;
/** A `redis://` or `rediss://` URL, kept as given. */
export const parseRedisUrl: ValueParser<string | undefined> = (raw, name) => {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The raw text is not echoed: a Redis URL usually carries its password.
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    return fail(name, 'is not a redis:// or rediss:// URL');
  }
  return raw;
};
/** A Redis key prefix: 1-64 of A-Z a-z 0-9 _ : . - */
export const parseRedisPrefix: ValueParser<string> = (raw, name) =>
  /^[\w:.-]{1,64}$/.test(raw) ? raw : fail(name, `"${raw}" must be 1-64 of A-Z a-z 0-9 _ : . -`);
/** A lease TTL in ms, `300..3600000`. */
export const parseLeaseTtl: ValueParser<number> = (raw, name) =>
  parseInteger(raw, name, 300, 3_600_000);
/** A secret: any non-empty text. */
export const parseSecret: ValueParser<string | undefined> = (raw, name) =>
  raw === '' ? fail(name, 'must not be empty') : raw;
/** A count, `1..1000000`. */
export const parseCount: ValueParser<number> = (raw, name) => parseInteger(raw, name, 1, 1_000_000);
/** A rate, `0..1000000` (0: no limit). */
export const parseRate: ValueParser<number> = (raw, name) => parseInteger(raw, name, 0, 1_000_000);
/** A comma-separated list of origins (or `*`), lower-cased, without a trailing slash. */
export const parseOrigins: ValueParser<string[] | undefined> = (raw, name) => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (item === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== item.replace(/\/$/, '').toLowerCase()) {
      fail(name, `"${item}" is not an origin like https://app.example.com (or *)`);
    }
  }
  return items.map((item) => item.replace(/\/$/, '').toLowerCase());
};
/** A switch: true, false, 1 or 0. */
export const parseSwitch: ValueParser<boolean> = (raw, name) => {
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return fail(name, `"${raw}" is not one of true, false, 1, 0`);
};
const CONVERSATION_ACCESS: readonly ConversationAccess[] = ['token', 'check', 'open'];
/** One of the conversation access policies. */
export const parseConversationAccess: ValueParser<ConversationAccess | undefined> = (raw, name) =>
  (CONVERSATION_ACCESS as readonly string[]).includes(raw)
    ? (raw as ConversationAccess)
    : fail(name, `"${raw}" is not one of ${CONVERSATION_ACCESS.join(', ')}`);
/** A JWT claim name: 1-64 of A-Z a-z 0-9 _ . : - */
export const parseClaimName: ValueParser<string> = (raw, name) =>
  /^[\w.:-]{1,64}$/.test(raw) ? raw : fail(name, `"${raw}" is not a claim name`);
/** A comma-separated list of host names (a port may follow), lower-cased. */
export const parseHosts: ValueParser<string[] | undefined> = (raw, name) => {
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const item of items) {
    let host: string | undefined;
    try {
      host = new URL(`http://${item}`).host;
    } catch {
      host = undefined;
    }
    // Host names without scheme or path; a port may be given (then only it matches).
    if (host === undefined || host !== item.replace(/:80$/, '')) {
      fail(name, `"${item}" is not a host name like app.example.com`);
    }
  }
  return items;
};
/** The values `--upstream-format` takes. */
export const UPSTREAM_FORMATS: readonly UpstreamFormat[] = ['auto', ...DIALECT_NAMES];
/** `auto` or a dialect name. */
export const parseUpstreamFormat: ValueParser<UpstreamFormat> = (raw, name) =>
  (UPSTREAM_FORMATS as readonly string[]).includes(raw)
    ? (raw as UpstreamFormat)
    : fail(name, `"${raw}" is not one of ${UPSTREAM_FORMATS.join(', ')}`);
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
/** A log level. */
export const parseLogLevel: ValueParser<LogLevel> = (raw, name) =>
  (LOG_LEVELS as readonly string[]).includes(raw)
    ? (raw as LogLevel)
    : fail(name, `"${raw}" is not one of ${LOG_LEVELS.join(', ')}`);

const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];
/** A log format. */
export const parseLogFormat: ValueParser<LogFormat> = (raw, name) =>
  (LOG_FORMATS as readonly string[]).includes(raw)
    ? (raw as LogFormat)
    : fail(name, `"${raw}" is not one of ${LOG_FORMATS.join(', ')}`);
