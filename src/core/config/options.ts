/**
 * Bridge options: one table gives each option its flag, env var(s), default and parser, so the
 * CLI, the help text and the Workers `[vars]` all read the same names.
 */
import { DIALECT_NAMES, type UpstreamFormat } from './upstream-format.ts';

/** Default listen port. @default 8080 */
export const DEFAULT_PORT = 8080;
/** Loopback by default: a sidecar should not be reachable from outside unless asked. */
export const DEFAULT_HOST = '127.0.0.1';
/** TCP/TLS connect budget for the upstream; a healthy sidecar peer connects in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** LLM backends may think for a long time before the first token. */
export const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 60_000;
/** Longest silence between upstream bytes before the stream is considered dead. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Under the 30-60 s idle cut of common proxies and load balancers. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 25_000;
/** How long a ping may go unanswered before the peer is dropped. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 20_000;
/** Bounds memory per inbound client message (chat history with image paths fits easily). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** Headers a legacy API typically authenticates and localises with. */
export const DEFAULT_FORWARD_HEADERS = ['authorization', 'cookie', 'accept-language'] as const;

/** Long enough for a phone to change networks or a tab to reload and resume. */
export const DEFAULT_RESUME_GRACE_MS = 30_000;
/** A finished answer stays resumable this long (a reconnect right after the stop still works). */
export const DEFAULT_RESUME_RETENTION_MS = 60_000;
/** Per-stream resume buffer: a long LLM answer is ~10-100 KB of frames; this bounds the worst. */
export const DEFAULT_RESUME_BUFFER_BYTES = 1_048_576;

/** Under the ~8-9k bridged sessions a 20k open-file limit allows (each holds 2+ sockets). */
export const DEFAULT_MAX_CONNECTIONS = 5_000;
/** A chat UI rarely has more than one or two answers in flight per tab. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 4;
/** Client messages per second per connection; chat UIs send a few per minute. */
export const DEFAULT_RATE_LIMIT = 10;
/** Burst of messages allowed above the rate (reconnect + resume of several streams at once). */
export const DEFAULT_RATE_LIMIT_BURST = 30;
/** Unsent bytes a client may hold before its streams stop being read for it. */
export const DEFAULT_SEND_HIGH_WATER_BYTES = 1_048_576;
/** How long a client may stay over the high-water mark before it is disconnected (1013). */
export const DEFAULT_SLOW_CLIENT_TIMEOUT_MS = 30_000;
/** Time running streams get to finish on SIGTERM/SIGINT before sockets close with 1001. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** Keys of several deployments can share one Redis under different prefixes. */
export const DEFAULT_REDIS_PREFIX = 'sse2ws:';
/**
 * How long a crashed instance's stream leases and presence entries outlive it: a Redis failover or
 * a long GC pause stays under it, and a user waits at most about this long for `upstream_lost`.
 */
export const DEFAULT_REDIS_LEASE_TTL_MS = 10_000;
/** Running streams per instance, orphaned ones included: each is an open (paid) upstream call. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** A user rarely has more than a few answers in flight across all their tabs and devices. */
export const DEFAULT_MAX_STREAMS_PER_USER = 16;
/** A chat UI follows a handful of rooms; this bounds what one socket makes the registry hold. */
export const DEFAULT_MAX_CONVERSATIONS_PER_CONNECTION = 100;
/** The JWT claim listing the conversations a user may join (`token` conversation access). */
export const DEFAULT_CONVERSATIONS_CLAIM = 'conversations';
/**
 * How long a Socket.IO client may take from its Engine.IO handshake to its namespace CONNECT:
 * a real client sends it at once; a flood of bare handshakes is let go after this.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;

/** Conversation access policies (see {@link BridgeOptions.conversationAccess}). */
export type ConversationAccess = 'token' | 'check' | 'open';

/** Log verbosity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Log line format: `auto` is readable on a terminal and JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** The topics the help and the README group the options under, in their order. */
export const OPTION_GROUPS = [
  'Server',
  'Upstream',
  'Heartbeats',
  'Resume',
  'Security',
  'Limits',
  'Scaling',
  'Operations',
] as const;

/** One of {@link OPTION_GROUPS}. */
export type OptionGroup = (typeof OPTION_GROUPS)[number];

/** Resolved bridge options. */
export interface BridgeOptions {
  /** Listen port. @default 8080 */
  port: number;
  /** Listen address. @default "127.0.0.1" */
  host: string;
  /**
   * Serve the browser playground at `/` (Node only); undefined serves it only on a loopback bind
   * or with the demo backend. @default undefined
   */
  playground: boolean | undefined;
  /** SSE upstream URL; undefined starts the embedded demo backend (Node only). @default undefined */
  upstreamUrl: string | undefined;
  /** @default 10000 */
  connectTimeoutMs: number;
  /** @default 60000 */
  firstFrameTimeoutMs: number;
  /** @default 60000 */
  idleTimeoutMs: number;
  /** @default 25000 */
  heartbeatIntervalMs: number;
  /** @default 20000 */
  heartbeatTimeoutMs: number;
  /** @default 1048576 */
  maxMessageBytes: number;
  /** Lower-case handshake header names forwarded upstream. @default authorization,cookie,accept-language */
  forwardHeaders: string[];
  /** The upstream's SSE dialect, or `auto` to recognise it per response. @default "auto" */
  upstreamFormat: UpstreamFormat;
  /**
   * A JSON config file (request shaping, custom profiles); on Workers the JSON text itself.
   * @default undefined
   */
  config: string | undefined;
  /** The client event vocabulary: default, socket-module, consultation, or one from the config. @default "default" */
  profile: string;
  /** How long a stream nobody receives keeps running, waiting for a resume. @default 30000 */
  resumeGraceMs: number;
  /** How long a finished stream stays resumable. @default 60000 */
  resumeRetentionMs: number;
  /** Bytes of frames kept per stream for resume; the oldest go first. @default 1048576 */
  resumeBufferBytes: number;
  /**
   * Origins allowed to open a socket, or undefined for the default: no Origin (non-browser
   * clients) or an Origin whose host is the bridge's own. `*` allows all. @default undefined
   */
  allowedOrigins: string[] | undefined;
  /** HS256 secret for JWT checks at connect. @default undefined */
  jwtSecret: string | undefined;
  /** JWKS URL for JWT checks at connect. @default undefined */
  jwksUrl: string | undefined;
  /** Required `aud` claim. @default undefined */
  jwtAudience: string | undefined;
  /** Required `iss` claim. @default undefined */
  jwtIssuer: string | undefined;
  /** The legacy API's own connect check: 2xx admits. @default undefined */
  authUrl: string | undefined;
  /**
   * Who may join a conversation (and send into it): `token` (a JWT claim lists them), `check`
   * (`joinAuthUrl` decides) or `open` (anyone admitted). Undefined: `open` without
   * authentication; with it, `check` when `joinAuthUrl` is set, else `token`. @default undefined
   */
  conversationAccess: ConversationAccess | undefined;
  /** The JWT claim of conversation ids or `prefix*` patterns (`token` access). @default "conversations" */
  conversationsClaim: string;
  /** The legacy API's join check: GET with the forwarded headers and `conversation_id`; 2xx admits. @default undefined */
  joinAuthUrl: string | undefined;
  /** Refuse JWTs without `exp`. @default false */
  jwtRequireExp: boolean;
  /** Names this bridge is reached by (Host header); the default Origin rule compares against them. @default undefined */
  allowedHosts: string[] | undefined;
  /** Allow `*` in `allowedOrigins` although cookies are forwarded (never reflected with credentials). @default false */
  allowAnyOriginWithCredentials: boolean;
  /** Engine.IO handshake to namespace CONNECT at most (Socket.IO). @default 5000 */
  handshakeTimeoutMs: number;
  /**
   * The backend's notification stream: one `GET` SSE request per connected client, relayed to it
   * (Node only). @default undefined
   */
  eventsUrl: string | undefined;
  /** Bearer token of `POST /publish` and `GET /clients`; without it they answer 404. @default undefined */
  adminToken: string | undefined;
  /** @default 5000 */
  maxConnections: number;
  /** @default 4 */
  maxStreamsPerConnection: number;
  /** Running streams on this instance, orphaned ones included. @default 10000 */
  maxStreams: number;
  /** Running streams per verified user (else per connection), orphaned ones included. @default 16 */
  maxStreamsPerUser: number;
  /** Conversations one connection may be a member of. @default 100 */
  maxConversationsPerConnection: number;
  /** Client messages per second per connection (0 turns the limit off). @default 10 */
  rateLimit: number;
  /** @default 30 */
  rateLimitBurst: number;
  /** @default 1048576 */
  sendHighWaterBytes: number;
  /** @default 30000 */
  slowClientTimeoutMs: number;
  /**
   * Redis URL (`redis://`, `rediss://`): streams, conversations and presence are shared through it
   * by every instance using it; in-memory (one instance) when undefined. Node only. @default undefined
   */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel. @default "sse2ws:" */
  redisPrefix: string;
  /** TTL of stream leases and presence entries, refreshed every third of it. @default 10000 */
  redisLeaseTtlMs: number;
  /** @default 30000 */
  drainTimeoutMs: number;
  /** @default "info" */
  logLevel: LogLevel;
  /** @default "auto" */
  logFormat: LogFormat;
}

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

type Parser<T> = (raw: string, name: string) => T;

/** One option: where it is read from, its default and how its text is checked. */
export interface OptionSpec<K extends keyof BridgeOptions = keyof BridgeOptions> {
  key: K;
  /** `--name`; a switch also takes `--no-name` (and `--name=true|false`). */
  flag: string;
  /** Env vars, first found wins; the first is the Workers `[vars]` name too. */
  env: readonly string[];
  defaultValue: BridgeOptions[K];
  parse: Parser<BridgeOptions[K]>;
  help: string;
  /** The value's placeholder in the help (`--port <n>`); absent for a switch, which takes none. */
  valueName?: string;
  /** What an undefined default means, for the help and the README (`none` if absent). */
  defaultText?: string;
  group: OptionGroup;
}

const fail = (name: string, problem: string): never => {
  throw new OptionError(`${name}: ${problem}`, { option: name });
};

const parseInteger = (raw: string, name: string, min: number, max: number): number => {
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

const parsePort: Parser<number> = (raw, name) => parseInteger(raw, name, 0, 65_535);
const parseMs: Parser<number> = (raw, name) => parseInteger(raw, name, 0, 2_147_483_647);
const parseBytes: Parser<number> = (raw, name) => parseInteger(raw, name, 1, 2 ** 31);
const parseHost: Parser<string> = (raw, name) =>
  raw.trim() === '' ? fail(name, 'must not be empty') : raw.trim();
const parseUrl: Parser<string | undefined> = (raw, name) => {
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
const parseList: Parser<string[]> = (raw, name) => {
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(item)) fail(name, `"${item}" is not a header name`);
  }
  return items;
};
const parseOptionalText: Parser<string | undefined> = (raw) => raw;
const parseRedisUrl: Parser<string | undefined> = (raw, name) => {
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
const parseRedisPrefix: Parser<string> = (raw, name) =>
  /^[\w:.-]{1,64}$/.test(raw) ? raw : fail(name, `"${raw}" must be 1-64 of A-Z a-z 0-9 _ : . -`);
const parseLeaseTtl: Parser<number> = (raw, name) => parseInteger(raw, name, 300, 3_600_000);
const parseSecret: Parser<string | undefined> = (raw, name) =>
  raw === '' ? fail(name, 'must not be empty') : raw;
const parseCount: Parser<number> = (raw, name) => parseInteger(raw, name, 1, 1_000_000);
const parseRate: Parser<number> = (raw, name) => parseInteger(raw, name, 0, 1_000_000);
const parseOrigins: Parser<string[] | undefined> = (raw, name) => {
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
const parseSwitch: Parser<boolean> = (raw, name) => {
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return fail(name, `"${raw}" is not one of true, false, 1, 0`);
};
const CONVERSATION_ACCESS: readonly ConversationAccess[] = ['token', 'check', 'open'];
const parseConversationAccess: Parser<ConversationAccess | undefined> = (raw, name) =>
  (CONVERSATION_ACCESS as readonly string[]).includes(raw)
    ? (raw as ConversationAccess)
    : fail(name, `"${raw}" is not one of ${CONVERSATION_ACCESS.join(', ')}`);
const parseClaimName: Parser<string> = (raw, name) =>
  /^[\w.:-]{1,64}$/.test(raw) ? raw : fail(name, `"${raw}" is not a claim name`);
const parseHosts: Parser<string[] | undefined> = (raw, name) => {
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
const UPSTREAM_FORMATS: readonly UpstreamFormat[] = ['auto', ...DIALECT_NAMES];
const parseUpstreamFormat: Parser<UpstreamFormat> = (raw, name) =>
  (UPSTREAM_FORMATS as readonly string[]).includes(raw)
    ? (raw as UpstreamFormat)
    : fail(name, `"${raw}" is not one of ${UPSTREAM_FORMATS.join(', ')}`);
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const parseLogLevel: Parser<LogLevel> = (raw, name) =>
  (LOG_LEVELS as readonly string[]).includes(raw)
    ? (raw as LogLevel)
    : fail(name, `"${raw}" is not one of ${LOG_LEVELS.join(', ')}`);

const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];
const parseLogFormat: Parser<LogFormat> = (raw, name) =>
  (LOG_FORMATS as readonly string[]).includes(raw)
    ? (raw as LogFormat)
    : fail(name, `"${raw}" is not one of ${LOG_FORMATS.join(', ')}`);

const spec = <K extends keyof BridgeOptions>(s: OptionSpec<K>): OptionSpec => s as never;

/** The option table, grouped by topic in {@link OPTION_GROUPS} order: the help's order. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  spec({
    key: 'port',
    flag: '--port',
    env: ['SSE2WS_PORT', 'PORT'],
    defaultValue: DEFAULT_PORT,
    parse: parsePort,
    help: 'port to listen on (0 picks a free one)',
    valueName: 'n',
    group: 'Server',
  }),
  spec({
    key: 'host',
    flag: '--host',
    env: ['SSE2WS_HOST'],
    defaultValue: DEFAULT_HOST,
    parse: parseHost,
    help: 'address to listen on',
    valueName: 'addr',
    group: 'Server',
  }),
  spec({
    key: 'playground',
    flag: '--playground',
    env: ['SSE2WS_PLAYGROUND'],
    defaultValue: undefined,
    parse: parseSwitch,
    help: 'serve the browser playground page at / (--no-playground: never)',
    defaultText: 'on a loopback bind or with the demo backend only',
    group: 'Server',
  }),
  spec({
    key: 'profile',
    flag: '--profile',
    env: ['SSE2WS_PROFILE'],
    defaultValue: 'default',
    parse: parseHost,
    help: 'client event vocabulary: default, socket-module, consultation, or a config profile',
    valueName: 'name',
    group: 'Server',
  }),
  spec({
    key: 'upstreamUrl',
    flag: '--upstream',
    env: ['SSE2WS_UPSTREAM_URL'],
    defaultValue: undefined,
    parse: parseUrl,
    help: 'SSE backend URL (POSTed unless the config says otherwise); none starts the embedded demo backend',
    valueName: 'url',
    defaultText: 'none (embedded demo backend)',
    group: 'Upstream',
  }),
  spec({
    key: 'connectTimeoutMs',
    flag: '--connect-timeout',
    env: ['SSE2WS_CONNECT_TIMEOUT_MS'],
    defaultValue: DEFAULT_CONNECT_TIMEOUT_MS,
    parse: parseMs,
    help: 'upstream TCP/TLS connect timeout',
    valueName: 'ms',
    group: 'Upstream',
  }),
  spec({
    key: 'firstFrameTimeoutMs',
    flag: '--first-frame-timeout',
    env: ['SSE2WS_FIRST_FRAME_TIMEOUT_MS'],
    defaultValue: DEFAULT_FIRST_FRAME_TIMEOUT_MS,
    parse: parseMs,
    help: 'longest wait from the request to the first upstream event',
    valueName: 'ms',
    group: 'Upstream',
  }),
  spec({
    key: 'idleTimeoutMs',
    flag: '--idle-timeout',
    env: ['SSE2WS_IDLE_TIMEOUT_MS'],
    defaultValue: DEFAULT_IDLE_TIMEOUT_MS,
    parse: parseMs,
    help: 'longest silence between upstream bytes',
    valueName: 'ms',
    group: 'Upstream',
  }),
  spec({
    key: 'forwardHeaders',
    flag: '--forward-headers',
    env: ['SSE2WS_FORWARD_HEADERS'],
    defaultValue: [...DEFAULT_FORWARD_HEADERS],
    parse: parseList,
    help: 'handshake headers forwarded upstream (comma list)',
    valueName: 'list',
    group: 'Upstream',
  }),
  spec({
    key: 'upstreamFormat',
    flag: '--upstream-format',
    env: ['SSE2WS_UPSTREAM_FORMAT'],
    defaultValue: 'auto',
    parse: parseUpstreamFormat,
    help: `upstream SSE dialect: ${UPSTREAM_FORMATS.join(', ')}`,
    valueName: 'format',
    group: 'Upstream',
  }),
  spec({
    key: 'config',
    flag: '--config',
    env: ['SSE2WS_CONFIG'],
    defaultValue: undefined,
    parse: parseOptionalText,
    help: 'JSON config file: upstream request shaping and custom profiles',
    valueName: 'file',
    group: 'Upstream',
  }),
  spec({
    key: 'eventsUrl',
    flag: '--events-url',
    env: ['SSE2WS_EVENTS_URL'],
    defaultValue: undefined,
    parse: parseUrl,
    help: 'backend notification stream (GET SSE), opened per client with its headers (Node only)',
    valueName: 'url',
    defaultText: 'none (no events stream)',
    group: 'Upstream',
  }),
  spec({
    key: 'heartbeatIntervalMs',
    flag: '--heartbeat-interval',
    env: ['SSE2WS_HEARTBEAT_INTERVAL_MS'],
    defaultValue: DEFAULT_HEARTBEAT_INTERVAL_MS,
    parse: parseMs,
    help: 'interval between server pings (Socket.IO and /ws)',
    valueName: 'ms',
    group: 'Heartbeats',
  }),
  spec({
    key: 'heartbeatTimeoutMs',
    flag: '--heartbeat-timeout',
    env: ['SSE2WS_HEARTBEAT_TIMEOUT_MS'],
    defaultValue: DEFAULT_HEARTBEAT_TIMEOUT_MS,
    parse: parseMs,
    help: 'how long a ping may go unanswered',
    valueName: 'ms',
    group: 'Heartbeats',
  }),
  spec({
    key: 'resumeGraceMs',
    flag: '--resume-grace',
    env: ['SSE2WS_RESUME_GRACE_MS'],
    defaultValue: DEFAULT_RESUME_GRACE_MS,
    parse: parseMs,
    help: 'how long a stream nobody receives keeps running for a resume',
    valueName: 'ms',
    group: 'Resume',
  }),
  spec({
    key: 'resumeRetentionMs',
    flag: '--resume-retention',
    env: ['SSE2WS_RESUME_RETENTION_MS'],
    defaultValue: DEFAULT_RESUME_RETENTION_MS,
    parse: parseMs,
    help: 'how long a finished stream stays resumable',
    valueName: 'ms',
    group: 'Resume',
  }),
  spec({
    key: 'resumeBufferBytes',
    flag: '--resume-buffer-bytes',
    env: ['SSE2WS_RESUME_BUFFER_BYTES'],
    defaultValue: DEFAULT_RESUME_BUFFER_BYTES,
    parse: parseBytes,
    help: 'bytes of frames kept per stream for resume',
    valueName: 'n',
    group: 'Resume',
  }),
  spec({
    key: 'allowedOrigins',
    flag: '--allowed-origins',
    env: ['SSE2WS_ALLOWED_ORIGINS'],
    defaultValue: undefined,
    parse: parseOrigins,
    help: 'origins allowed to connect (comma list, * for any)',
    valueName: 'list',
    defaultText: 'an allowed host (or own host) and no-Origin clients',
    group: 'Security',
  }),
  spec({
    key: 'allowedHosts',
    flag: '--allowed-hosts',
    env: ['SSE2WS_ALLOWED_HOSTS'],
    defaultValue: undefined,
    parse: parseHosts,
    help: 'public names of this bridge (Host header; against DNS rebinding)',
    valueName: 'list',
    defaultText: 'loopback names on a loopback bind, else any',
    group: 'Security',
  }),
  spec({
    key: 'allowAnyOriginWithCredentials',
    flag: '--allow-any-origin-with-credentials',
    env: ['SSE2WS_ALLOW_ANY_ORIGIN_WITH_CREDENTIALS'],
    defaultValue: false,
    parse: parseSwitch,
    help: 'accept --allowed-origins * although cookies are forwarded',
    group: 'Security',
  }),
  spec({
    key: 'jwtSecret',
    flag: '--jwt-secret',
    env: ['SSE2WS_JWT_SECRET'],
    defaultValue: undefined,
    parse: parseSecret,
    help: 'HS256 secret: clients must present a valid JWT (prefer the env var)',
    valueName: 'secret',
    group: 'Security',
  }),
  spec({
    key: 'jwksUrl',
    flag: '--jwks-url',
    env: ['SSE2WS_JWKS_URL'],
    defaultValue: undefined,
    parse: parseUrl,
    help: 'JWKS URL: clients must present a JWT signed by one of its keys',
    valueName: 'url',
    group: 'Security',
  }),
  spec({
    key: 'jwtAudience',
    flag: '--jwt-audience',
    env: ['SSE2WS_JWT_AUDIENCE'],
    defaultValue: undefined,
    parse: parseOptionalText,
    help: 'required JWT aud claim',
    valueName: 'aud',
    group: 'Security',
  }),
  spec({
    key: 'jwtIssuer',
    flag: '--jwt-issuer',
    env: ['SSE2WS_JWT_ISSUER'],
    defaultValue: undefined,
    parse: parseOptionalText,
    help: 'required JWT iss claim',
    valueName: 'iss',
    group: 'Security',
  }),
  spec({
    key: 'authUrl',
    flag: '--auth-url',
    env: ['SSE2WS_AUTH_URL'],
    defaultValue: undefined,
    parse: parseUrl,
    help: 'legacy API connect check, called with the forwarded headers; 2xx admits',
    valueName: 'url',
    group: 'Security',
  }),
  spec({
    key: 'jwtRequireExp',
    flag: '--jwt-require-exp',
    env: ['SSE2WS_JWT_REQUIRE_EXP'],
    defaultValue: false,
    parse: parseSwitch,
    help: 'refuse JWTs without an exp claim',
    group: 'Security',
  }),
  spec({
    key: 'conversationAccess',
    flag: '--conversation-access',
    env: ['SSE2WS_CONVERSATION_ACCESS'],
    defaultValue: undefined,
    parse: parseConversationAccess,
    help: 'who may join a conversation: token (JWT claim), check (--join-auth-url) or open',
    valueName: 'mode',
    defaultText: 'open without authentication; with it check if --join-auth-url, else token',
    group: 'Security',
  }),
  spec({
    key: 'conversationsClaim',
    flag: '--conversations-claim',
    env: ['SSE2WS_CONVERSATIONS_CLAIM'],
    defaultValue: DEFAULT_CONVERSATIONS_CLAIM,
    parse: parseClaimName,
    help: 'JWT claim listing joinable conversation ids or prefix* patterns (token access)',
    valueName: 'name',
    group: 'Security',
  }),
  spec({
    key: 'joinAuthUrl',
    flag: '--join-auth-url',
    env: ['SSE2WS_JOIN_AUTH_URL'],
    defaultValue: undefined,
    parse: parseUrl,
    help: 'legacy API join check: GET ?conversation_id= with the forwarded headers; 2xx admits',
    valueName: 'url',
    group: 'Security',
  }),
  spec({
    key: 'handshakeTimeoutMs',
    flag: '--handshake-timeout',
    env: ['SSE2WS_HANDSHAKE_TIMEOUT'],
    defaultValue: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    parse: (raw, name) => parseInteger(raw, name, 100, 60_000),
    help: 'ms from a Socket.IO handshake to its namespace CONNECT at most',
    valueName: 'ms',
    group: 'Security',
  }),
  spec({
    key: 'adminToken',
    flag: '--admin-token',
    env: ['SSE2WS_ADMIN_TOKEN'],
    defaultValue: undefined,
    parse: parseSecret,
    help: 'bearer token of POST /publish and GET /clients (prefer the env var; none: they answer 404)',
    valueName: 'token',
    defaultText: 'none (admin API off)',
    group: 'Security',
  }),
  spec({
    key: 'maxMessageBytes',
    flag: '--max-message-bytes',
    env: ['SSE2WS_MAX_MESSAGE_BYTES'],
    defaultValue: DEFAULT_MAX_MESSAGE_BYTES,
    parse: parseBytes,
    help: 'largest accepted client message',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'maxConnections',
    flag: '--max-connections',
    env: ['SSE2WS_MAX_CONNECTIONS'],
    defaultValue: DEFAULT_MAX_CONNECTIONS,
    parse: parseCount,
    help: 'connected clients at most (over: 503 / server_busy)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'maxStreamsPerConnection',
    flag: '--max-streams-per-connection',
    env: ['SSE2WS_MAX_STREAMS_PER_CONNECTION'],
    defaultValue: DEFAULT_MAX_STREAMS_PER_CONNECTION,
    parse: parseCount,
    help: 'running streams per client at most (over: too_many_streams)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'maxStreams',
    flag: '--max-streams',
    env: ['SSE2WS_MAX_STREAMS'],
    defaultValue: DEFAULT_MAX_STREAMS,
    parse: parseCount,
    help: 'running streams on this instance at most, orphaned ones included (over: too_many_streams)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'maxStreamsPerUser',
    flag: '--max-streams-per-user',
    env: ['SSE2WS_MAX_STREAMS_PER_USER'],
    defaultValue: DEFAULT_MAX_STREAMS_PER_USER,
    parse: parseCount,
    help: 'running streams per user (else per connection), orphaned ones included (over: too_many_streams)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'maxConversationsPerConnection',
    flag: '--max-conversations-per-connection',
    env: ['SSE2WS_MAX_CONVERSATIONS_PER_CONNECTION'],
    defaultValue: DEFAULT_MAX_CONVERSATIONS_PER_CONNECTION,
    parse: parseCount,
    help: 'conversations one client may join at most (over: too_many_conversations)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'rateLimit',
    flag: '--rate-limit',
    env: ['SSE2WS_RATE_LIMIT'],
    defaultValue: DEFAULT_RATE_LIMIT,
    parse: parseRate,
    help: 'client messages per second per connection, 0 for no limit (over: rate_limited)',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'rateLimitBurst',
    flag: '--rate-limit-burst',
    env: ['SSE2WS_RATE_LIMIT_BURST'],
    defaultValue: DEFAULT_RATE_LIMIT_BURST,
    parse: parseCount,
    help: 'messages allowed in a burst above the rate',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'sendHighWaterBytes',
    flag: '--send-high-water-bytes',
    env: ['SSE2WS_SEND_HIGH_WATER_BYTES'],
    defaultValue: DEFAULT_SEND_HIGH_WATER_BYTES,
    parse: parseBytes,
    help: 'unsent bytes per client before its streams stop being read for it',
    valueName: 'n',
    group: 'Limits',
  }),
  spec({
    key: 'slowClientTimeoutMs',
    flag: '--slow-client-timeout',
    env: ['SSE2WS_SLOW_CLIENT_TIMEOUT_MS'],
    defaultValue: DEFAULT_SLOW_CLIENT_TIMEOUT_MS,
    parse: parseMs,
    help: 'how long a client may stay over the high-water mark before it is dropped (1013)',
    valueName: 'ms',
    group: 'Limits',
  }),
  spec({
    key: 'redisUrl',
    flag: '--redis-url',
    env: ['SSE2WS_REDIS_URL'],
    defaultValue: undefined,
    parse: parseRedisUrl,
    help: 'share streams, conversations and presence with other instances through this Redis',
    valueName: 'url',
    defaultText: 'none (in-memory, one instance)',
    group: 'Scaling',
  }),
  spec({
    key: 'redisPrefix',
    flag: '--redis-prefix',
    env: ['SSE2WS_REDIS_PREFIX'],
    defaultValue: DEFAULT_REDIS_PREFIX,
    parse: parseRedisPrefix,
    help: 'prefix of every Redis key and channel (one per deployment sharing a Redis)',
    valueName: 'prefix',
    group: 'Scaling',
  }),
  spec({
    key: 'redisLeaseTtlMs',
    flag: '--redis-lease-ttl',
    env: ['SSE2WS_REDIS_LEASE_TTL_MS'],
    defaultValue: DEFAULT_REDIS_LEASE_TTL_MS,
    parse: parseLeaseTtl,
    help: "a dead instance's streams end with upstream_lost and its clients leave presence within this",
    valueName: 'ms',
    group: 'Scaling',
  }),
  spec({
    key: 'drainTimeoutMs',
    flag: '--drain-timeout',
    env: ['SSE2WS_DRAIN_TIMEOUT_MS'],
    defaultValue: DEFAULT_DRAIN_TIMEOUT_MS,
    parse: parseMs,
    help: 'on SIGTERM/SIGINT, time running streams get to finish',
    valueName: 'ms',
    group: 'Operations',
  }),
  spec({
    key: 'logLevel',
    flag: '--log-level',
    env: ['SSE2WS_LOG_LEVEL'],
    defaultValue: 'info',
    parse: parseLogLevel,
    help: 'debug, info, warn, error or silent',
    valueName: 'level',
    group: 'Operations',
  }),
  spec({
    key: 'logFormat',
    flag: '--log-format',
    env: ['SSE2WS_LOG_FORMAT'],
    defaultValue: 'auto',
    parse: parseLogFormat,
    help: 'auto (readable on a terminal, JSON lines otherwise), json or pretty',
    valueName: 'format',
    group: 'Operations',
  }),
];

/** Options with every default applied. */
export function defaultOptions(): BridgeOptions {
  const entries = OPTION_SPECS.map((s) => [
    s.key,
    Array.isArray(s.defaultValue) ? [...s.defaultValue] : s.defaultValue,
  ]);
  return Object.fromEntries(entries) as BridgeOptions;
}

/** Environment-like lookup: `process.env` on Node, the `env` bindings on Workers. */
export type EnvSource = Readonly<Record<string, unknown>>;

/** Result of reading command-line arguments. */
export interface ParsedArgs {
  options: BridgeOptions;
  help: boolean;
  /** `--version` / `-v`: print the package version and exit. */
  version: boolean;
}

/** True for an option that takes no value: `--name` turns it on, `--no-name` off. */
export function isSwitch(s: OptionSpec): boolean {
  return s.valueName === undefined;
}

/**
 * How the help and the README show an option: `--port <n>`; a switch on by default shows the
 * form that changes something, `--no-playground`.
 */
export function toFlagUsage(s: OptionSpec): string {
  if (!isSwitch(s)) return `${s.flag} <${s.valueName}>`;
  return s.defaultValue === true ? `--no-${s.flag.slice(2)}` : s.flag;
}

/** A default as the help and the README print it. */
export function toDefaultText(s: OptionSpec): string {
  if (s.defaultValue !== undefined) return String(s.defaultValue);
  return s.defaultText ?? 'none';
}

/**
 * Resolve options: a flag wins over the env var, the env var over the default. With `--help`/`-h`
 * (or `--version`/`-v`) nothing is validated and the defaults come back, so the help shows even
 * under a broken config.
 * @throws OptionError naming the option and the problem.
 */
export function parseOptions(argv: readonly string[], env: EnvSource): ParsedArgs {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    return { options: defaultOptions(), help: true, version: false };
  }
  if (argv.some((arg) => arg === '--version' || arg === '-v')) {
    return { options: defaultOptions(), help: false, version: true };
  }
  const byFlag = new Map(OPTION_SPECS.map((s) => [s.flag, s]));
  const fromFlags = new Map<string, { raw: string; name: string }>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const negated = flag.startsWith('--no-') ? byFlag.get(`--${flag.slice(5)}`) : undefined;
    if (negated && isSwitch(negated)) {
      if (eq !== -1) throw new OptionError(`${flag}: takes no value`);
      fromFlags.set(negated.key, { raw: 'false', name: flag });
      continue;
    }
    const s = byFlag.get(flag);
    if (!s) throw new OptionError(`${arg}: unknown option (see --help)`);
    if (isSwitch(s)) {
      // A switch never takes the next argument: `--playground false` would read as two options.
      fromFlags.set(s.key, { raw: eq === -1 ? 'true' : arg.slice(eq + 1), name: flag });
      continue;
    }
    let value = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
    // No option takes a value starting with "--": that is the next flag, not this one's value.
    if (eq === -1 && value?.startsWith('--')) value = undefined;
    if (value === undefined) throw new OptionError(`${flag}: missing value`);
    if (eq === -1) i++;
    fromFlags.set(s.key, { raw: value, name: flag });
  }
  const options = defaultOptions() as unknown as Record<string, unknown>;
  for (const s of OPTION_SPECS) {
    const fromFlag = fromFlags.get(s.key);
    if (fromFlag !== undefined) {
      options[s.key] = s.parse(fromFlag.raw, fromFlag.name);
      continue;
    }
    for (const name of s.env) {
      const raw = env[name];
      if (raw === undefined || raw === null || raw === '') continue;
      options[s.key] = s.parse(String(raw), name);
      break;
    }
  }
  return { options: options as unknown as BridgeOptions, help: false, version: false };
}

/**
 * Options an entry point cannot honour, each with what to use instead: given one, the entry point
 * refuses it rather than drop it.
 */
export type UnsupportedOptions = Readonly<Partial<Record<keyof BridgeOptions, string>>>;

/** How {@link toValidatedOptions} treats the keys it is given. */
export interface OptionRules {
  /** The entry point, for messages: `createBridge`. */
  entry: string;
  /** Keys the entry point takes besides the option table's (its runtime pieces: `hooks`, …). */
  extraKeys?: readonly string[];
  /** Options of the table this entry point refuses. */
  unsupported?: UnsupportedOptions;
}

const SPECS_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.key, s]));

/** The kind of value an option takes in code (the table's parsers take text). */
type ValueKind = 'boolean' | 'number' | 'list' | 'string';

function toValueKind(s: OptionSpec): ValueKind {
  if (isSwitch(s)) return 'boolean';
  if (typeof s.defaultValue === 'number') return 'number';
  if (s.valueName === 'list') return 'list';
  return 'string';
}

const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

/**
 * The text a value would be given as on the command line, so the table's own parser checks it:
 * one validator for flags, env vars, Workers vars and library calls.
 */
function toOptionText(s: OptionSpec, value: unknown): string {
  const kind = toValueKind(s);
  const expected =
    kind === 'list' ? 'an array of strings' : kind === 'boolean' ? 'true or false' : `a ${kind}`;
  const wrongType = (): never => fail(s.key, `must be ${expected} (got ${describeType(value)})`);
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : wrongType();
    case 'number':
      return typeof value === 'number' ? String(value) : wrongType();
    case 'string':
      return typeof value === 'string' ? value : wrongType();
    case 'list': {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) wrongType();
      const items = value as string[];
      const joined = items.find((item) => item.includes(','));
      if (joined !== undefined) fail(s.key, `"${joined}" holds a comma: give one item per entry`);
      return items.join(',');
    }
  }
}

/** The closest known key to a misspelt one, if any is close (case, one or two letters). */
function toSuggestion(key: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j] as number;
        const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
        row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
        diagonal = above;
      }
    }
    return row[b.length] as number;
  };
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d <= 2 && (!best || d < best.d)) best = { key: candidate, d };
  }
  return best?.key;
}

/**
 * Resolve options given as values (a library call) through the option table: defaults for what is
 * not given (or given as `undefined`), and each given value checked by its option's parser, as the
 * CLI checks its flags. Keys outside the table (and `extraKeys`) and the entry point's
 * `unsupported` options are refused, never dropped.
 * @throws OptionError naming the option: `invalid_option`, `unknown_option` or `unsupported_option`.
 */
export function toValidatedOptions(
  input: Readonly<Record<string, unknown>>,
  rules: OptionRules,
): BridgeOptions {
  const extra = new Set(rules.extraKeys ?? []);
  const options = defaultOptions() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (extra.has(key)) continue;
    const s = SPECS_BY_KEY.get(key);
    if (!s) {
      const known = [...SPECS_BY_KEY.keys(), ...extra].filter(
        (k) => !(k in (rules.unsupported ?? {})),
      );
      const suggestion = toSuggestion(key, known);
      throw new OptionError(
        `${rules.entry}: unknown option "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        { code: 'unknown_option', option: key },
      );
    }
    if (value === undefined) continue;
    const instead = rules.unsupported?.[s.key];
    if (instead !== undefined) {
      throw new OptionError(`${s.key}: ${rules.entry} does not support it; ${instead}`, {
        code: 'unsupported_option',
        option: key,
      });
    }
    options[s.key] = s.parse(toOptionText(s, value), s.key);
  }
  return options as unknown as BridgeOptions;
}

/**
 * Refuse env vars (or Workers `[vars]`) of options an entry point cannot honour: set, they would
 * silently do nothing.
 * @throws OptionError (`unsupported_option`) naming the variable.
 */
export function refuseUnsupportedEnv(env: EnvSource, rules: OptionRules): void {
  for (const [key, instead] of Object.entries(rules.unsupported ?? {})) {
    const s = SPECS_BY_KEY.get(key);
    if (!s || instead === undefined) continue;
    for (const name of s.env) {
      const raw = env[name];
      if (raw === undefined || raw === null || raw === '') continue;
      throw new OptionError(`${name}: ${rules.entry} does not support it; ${instead}`, {
        code: 'unsupported_option',
        option: name,
      });
    }
  }
}

/** Width of the flag column of the help. */
const HELP_FLAG_WIDTH = 36;

/** The `--help` text: every option under its topic, with its env var and default. */
export function helpText(): string {
  const pad = ' '.repeat(HELP_FLAG_WIDTH);
  const sections = OPTION_GROUPS.map((group) => {
    const rows = OPTION_SPECS.filter((s) => s.group === group).map((s) => {
      const left = `  ${toFlagUsage(s)}`;
      const first =
        left.length < HELP_FLAG_WIDTH ? left.padEnd(HELP_FLAG_WIDTH) : `${left}\n${pad}`;
      const env = isSwitch(s) ? `${s.env.join(' or ')}=true|false` : s.env.join(' or ');
      return `${first}${s.help}\n${pad}env ${env}; default ${toDefaultText(s)}`;
    });
    return [`${group}:`, ...rows, ''];
  });
  return [
    'Usage: sse2ws [options]',
    '',
    'Bridges a Server-Sent Events backend to Socket.IO (/socket.io/) and WebSocket (/ws) clients.',
    'Options (a flag wins over its env var, the env var over the default):',
    '',
    ...sections.flat(),
    `  ${'-h, --help'.padEnd(HELP_FLAG_WIDTH - 2)}show this help`,
    `  ${'-v, --version'.padEnd(HELP_FLAG_WIDTH - 2)}print the version`,
    '',
  ].join('\n');
}
