import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_FIRST_FRAME_TIMEOUT_MS,
  DEFAULT_FORWARD_HEADERS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PORT,
  DEFAULT_RESUME_BUFFER_BYTES,
  DEFAULT_RESUME_GRACE_MS,
  DEFAULT_RESUME_RETENTION_MS,
} from '../../../src/core/config/defaults.ts';
import { OptionError } from '../../../src/core/config/option-error.ts';
import { defaultOptions } from '../../../src/core/config/resolve.ts';
import { OPTION_SPECS } from '../../../src/core/config/spec.ts';
import { type BridgeOptions, OPTION_GROUPS } from '../../../src/core/config/types.ts';
import { isSwitch, toFlagUsage } from '../../../src/core/config/usage.ts';
import { parseOptions } from '../../../src/node/cli/args.ts';
import { helpText } from '../../../src/node/cli/help.ts';

/** Options without a value (`--name` / `--no-name`); tested on their own below. */
const SWITCHES = ['playground', 'allowAnyOriginWithCredentials', 'jwtRequireExp'] as const;

/** One settable value per option: the raw text and what it resolves to. */
const SAMPLES: ReadonlyArray<{
  key: keyof BridgeOptions;
  flag: string;
  env: string;
  raw: string;
  value: BridgeOptions[keyof BridgeOptions];
}> = [
  { key: 'port', flag: '--port', env: 'SSE2WS_PORT', raw: '9000', value: 9000 },
  { key: 'host', flag: '--host', env: 'SSE2WS_HOST', raw: '0.0.0.0', value: '0.0.0.0' },
  {
    key: 'upstreamUrl',
    flag: '--upstream',
    env: 'SSE2WS_UPSTREAM_URL',
    raw: 'https://api.example.com/chat',
    value: 'https://api.example.com/chat',
  },
  {
    key: 'connectTimeoutMs',
    flag: '--connect-timeout',
    env: 'SSE2WS_CONNECT_TIMEOUT_MS',
    raw: '1500',
    value: 1500,
  },
  {
    key: 'firstFrameTimeoutMs',
    flag: '--first-frame-timeout',
    env: 'SSE2WS_FIRST_FRAME_TIMEOUT_MS',
    raw: '2500',
    value: 2500,
  },
  {
    key: 'idleTimeoutMs',
    flag: '--idle-timeout',
    env: 'SSE2WS_IDLE_TIMEOUT_MS',
    raw: '3500',
    value: 3500,
  },
  {
    key: 'heartbeatIntervalMs',
    flag: '--heartbeat-interval',
    env: 'SSE2WS_HEARTBEAT_INTERVAL_MS',
    raw: '4500',
    value: 4500,
  },
  {
    key: 'heartbeatTimeoutMs',
    flag: '--heartbeat-timeout',
    env: 'SSE2WS_HEARTBEAT_TIMEOUT_MS',
    raw: '5500',
    value: 5500,
  },
  {
    key: 'maxMessageBytes',
    flag: '--max-message-bytes',
    env: 'SSE2WS_MAX_MESSAGE_BYTES',
    raw: '65536',
    value: 65536,
  },
  {
    key: 'forwardHeaders',
    flag: '--forward-headers',
    env: 'SSE2WS_FORWARD_HEADERS',
    raw: 'x-tenant,authorization',
    value: ['x-tenant', 'authorization'],
  },
  {
    key: 'upstreamFormat',
    flag: '--upstream-format',
    env: 'SSE2WS_UPSTREAM_FORMAT',
    raw: 'openai',
    value: 'openai',
  },
  {
    key: 'config',
    flag: '--config',
    env: 'SSE2WS_CONFIG',
    raw: './sse2ws.json',
    value: './sse2ws.json',
  },
  {
    key: 'profile',
    flag: '--profile',
    env: 'SSE2WS_PROFILE',
    raw: 'socket-module',
    value: 'socket-module',
  },

  {
    key: 'resumeGraceMs',
    flag: '--resume-grace',
    env: 'SSE2WS_RESUME_GRACE_MS',
    raw: '6500',
    value: 6500,
  },
  {
    key: 'resumeRetentionMs',
    flag: '--resume-retention',
    env: 'SSE2WS_RESUME_RETENTION_MS',
    raw: '7500',
    value: 7500,
  },
  {
    key: 'resumeBufferBytes',
    flag: '--resume-buffer-bytes',
    env: 'SSE2WS_RESUME_BUFFER_BYTES',
    raw: '8192',
    value: 8192,
  },
  {
    key: 'allowedOrigins',
    flag: '--allowed-origins',
    env: 'SSE2WS_ALLOWED_ORIGINS',
    raw: 'https://App.example.com, http://localhost:3000/',
    value: ['https://app.example.com', 'http://localhost:3000'],
  },
  {
    key: 'jwtSecret',
    flag: '--jwt-secret',
    env: 'SSE2WS_JWT_SECRET',
    raw: 's3cret',
    value: 's3cret',
  },
  {
    key: 'jwksUrl',
    flag: '--jwks-url',
    env: 'SSE2WS_JWKS_URL',
    raw: 'https://id.example.com/.well-known/jwks.json',
    value: 'https://id.example.com/.well-known/jwks.json',
  },
  {
    key: 'jwtAudience',
    flag: '--jwt-audience',
    env: 'SSE2WS_JWT_AUDIENCE',
    raw: 'chat',
    value: 'chat',
  },
  { key: 'jwtIssuer', flag: '--jwt-issuer', env: 'SSE2WS_JWT_ISSUER', raw: 'idp', value: 'idp' },
  {
    key: 'authUrl',
    flag: '--auth-url',
    env: 'SSE2WS_AUTH_URL',
    raw: 'http://legacy:5000/auth',
    value: 'http://legacy:5000/auth',
  },
  {
    key: 'eventsUrl',
    flag: '--events-url',
    env: 'SSE2WS_EVENTS_URL',
    raw: 'http://legacy:5000/events',
    value: 'http://legacy:5000/events',
  },
  {
    key: 'adminToken',
    flag: '--admin-token',
    env: 'SSE2WS_ADMIN_TOKEN',
    raw: 'secret-admin',
    value: 'secret-admin',
  },
  {
    key: 'maxConnections',
    flag: '--max-connections',
    env: 'SSE2WS_MAX_CONNECTIONS',
    raw: '77',
    value: 77,
  },
  {
    key: 'maxStreamsPerConnection',
    flag: '--max-streams-per-connection',
    env: 'SSE2WS_MAX_STREAMS_PER_CONNECTION',
    raw: '2',
    value: 2,
  },
  { key: 'rateLimit', flag: '--rate-limit', env: 'SSE2WS_RATE_LIMIT', raw: '5', value: 5 },
  {
    key: 'rateLimitBurst',
    flag: '--rate-limit-burst',
    env: 'SSE2WS_RATE_LIMIT_BURST',
    raw: '9',
    value: 9,
  },
  {
    key: 'sendHighWaterBytes',
    flag: '--send-high-water-bytes',
    env: 'SSE2WS_SEND_HIGH_WATER_BYTES',
    raw: '4096',
    value: 4096,
  },
  {
    key: 'slowClientTimeoutMs',
    flag: '--slow-client-timeout',
    env: 'SSE2WS_SLOW_CLIENT_TIMEOUT_MS',
    raw: '900',
    value: 900,
  },
  {
    key: 'redisUrl',
    flag: '--redis-url',
    env: 'SSE2WS_REDIS_URL',
    raw: 'redis://:secret@10.0.0.5:6379/2',
    value: 'redis://:secret@10.0.0.5:6379/2',
  },
  {
    key: 'redisPrefix',
    flag: '--redis-prefix',
    env: 'SSE2WS_REDIS_PREFIX',
    raw: 'chat-prod:',
    value: 'chat-prod:',
  },
  {
    key: 'redisLeaseTtlMs',
    flag: '--redis-lease-ttl',
    env: 'SSE2WS_REDIS_LEASE_TTL_MS',
    raw: '4000',
    value: 4000,
  },
  {
    key: 'drainTimeoutMs',
    flag: '--drain-timeout',
    env: 'SSE2WS_DRAIN_TIMEOUT_MS',
    raw: '1200',
    value: 1200,
  },
  {
    key: 'allowedHosts',
    flag: '--allowed-hosts',
    env: 'SSE2WS_ALLOWED_HOSTS',
    raw: 'Chat.Example.com, other.example:8443',
    value: ['chat.example.com', 'other.example:8443'],
  },
  {
    key: 'conversationAccess',
    flag: '--conversation-access',
    env: 'SSE2WS_CONVERSATION_ACCESS',
    raw: 'check',
    value: 'check',
  },
  {
    key: 'conversationsClaim',
    flag: '--conversations-claim',
    env: 'SSE2WS_CONVERSATIONS_CLAIM',
    raw: 'rooms',
    value: 'rooms',
  },
  {
    key: 'joinAuthUrl',
    flag: '--join-auth-url',
    env: 'SSE2WS_JOIN_AUTH_URL',
    raw: 'https://api.example.com/can-join',
    value: 'https://api.example.com/can-join',
  },
  {
    key: 'handshakeTimeoutMs',
    flag: '--handshake-timeout',
    env: 'SSE2WS_HANDSHAKE_TIMEOUT',
    raw: '2000',
    value: 2000,
  },
  { key: 'maxStreams', flag: '--max-streams', env: 'SSE2WS_MAX_STREAMS', raw: '50', value: 50 },
  {
    key: 'maxStreamsPerUser',
    flag: '--max-streams-per-user',
    env: 'SSE2WS_MAX_STREAMS_PER_USER',
    raw: '3',
    value: 3,
  },
  {
    key: 'maxConversationsPerConnection',
    flag: '--max-conversations-per-connection',
    env: 'SSE2WS_MAX_CONVERSATIONS_PER_CONNECTION',
    raw: '7',
    value: 7,
  },
  { key: 'logLevel', flag: '--log-level', env: 'SSE2WS_LOG_LEVEL', raw: 'debug', value: 'debug' },
  { key: 'logFormat', flag: '--log-format', env: 'SSE2WS_LOG_FORMAT', raw: 'json', value: 'json' },
];

/** A second valid value per option, to tell a flag's value from an env var's. */
const OTHER_RAW: Record<Exclude<keyof BridgeOptions, (typeof SWITCHES)[number]>, string> = {
  allowedHosts: 'third.example',
  conversationAccess: 'open',
  conversationsClaim: 'other_claim',
  joinAuthUrl: 'http://other.example/join',
  handshakeTimeoutMs: '3000',
  maxStreams: '30',
  maxStreamsPerUser: '31',
  maxConversationsPerConnection: '32',
  port: '9100',
  host: '::1',
  upstreamUrl: 'http://other.example/sse',
  connectTimeoutMs: '11',
  firstFrameTimeoutMs: '12',
  idleTimeoutMs: '13',
  heartbeatIntervalMs: '14',
  heartbeatTimeoutMs: '15',
  maxMessageBytes: '16',
  forwardHeaders: 'x-other',
  upstreamFormat: 'anthropic',
  config: '/etc/other.json',
  profile: 'consultation',
  resumeGraceMs: '17',
  resumeRetentionMs: '18',
  resumeBufferBytes: '19',
  allowedOrigins: '*',
  jwtSecret: 'other',
  jwksUrl: 'http://other.example/jwks',
  jwtAudience: 'other-aud',
  jwtIssuer: 'other-iss',
  authUrl: 'http://other.example/auth',
  eventsUrl: 'http://other.example/events',
  adminToken: 'other-admin',
  maxConnections: '20',
  maxStreamsPerConnection: '21',
  rateLimit: '22',
  rateLimitBurst: '23',
  sendHighWaterBytes: '24',
  slowClientTimeoutMs: '25',
  redisUrl: 'rediss://other.example:6380',
  redisPrefix: 'other:',
  redisLeaseTtlMs: '5000',
  drainTimeoutMs: '26',
  logLevel: 'warn',
  logFormat: 'pretty',
};

const expectOptionError = (argv: string[], env: Record<string, string>, ...parts: string[]) => {
  let caught: unknown;
  try {
    parseOptions(argv, env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OptionError);
  const message = (caught as OptionError).message;
  for (const part of parts) expect(message).toContain(part);
  return message;
};

describe('parseOptions defaults', () => {
  it('applies every default with no flags and an empty environment', () => {
    const { options, help } = parseOptions([], {});
    expect(help).toBe(false);
    expect(options).toEqual({
      port: DEFAULT_PORT,
      host: DEFAULT_HOST,
      playground: undefined,
      upstreamUrl: undefined,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      firstFrameTimeoutMs: DEFAULT_FIRST_FRAME_TIMEOUT_MS,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: DEFAULT_HEARTBEAT_TIMEOUT_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      forwardHeaders: [...DEFAULT_FORWARD_HEADERS],
      upstreamFormat: 'auto',
      config: undefined,
      profile: 'default',
      resumeGraceMs: DEFAULT_RESUME_GRACE_MS,
      resumeRetentionMs: DEFAULT_RESUME_RETENTION_MS,
      resumeBufferBytes: DEFAULT_RESUME_BUFFER_BYTES,
      allowedOrigins: undefined,
      jwtSecret: undefined,
      jwksUrl: undefined,
      jwtAudience: undefined,
      jwtIssuer: undefined,
      authUrl: undefined,
      allowedHosts: undefined,
      allowAnyOriginWithCredentials: false,
      jwtRequireExp: false,
      conversationAccess: undefined,
      conversationsClaim: 'conversations',
      joinAuthUrl: undefined,
      handshakeTimeoutMs: 5000,
      maxConnections: 5000,
      maxStreamsPerConnection: 4,
      maxStreams: 10_000,
      maxStreamsPerUser: 16,
      maxConversationsPerConnection: 100,
      rateLimit: 10,
      rateLimitBurst: 30,
      sendHighWaterBytes: 1_048_576,
      slowClientTimeoutMs: 30_000,
      redisUrl: undefined,
      redisPrefix: 'sse2ws:',
      redisLeaseTtlMs: 10_000,
      drainTimeoutMs: 30_000,
      logLevel: 'info',
      logFormat: 'auto',
    });
    expect(options).toEqual(defaultOptions());
  });

  it('documents the defaults it applies', () => {
    expect(DEFAULT_PORT).toBe(8080);
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect([...DEFAULT_FORWARD_HEADERS]).toEqual(['authorization', 'cookie', 'accept-language']);
  });

  it('hands out a fresh forward-headers list each time', () => {
    const first = parseOptions([], {}).options;
    first.forwardHeaders.push('x-mutated');
    expect(parseOptions([], {}).options.forwardHeaders).toEqual([...DEFAULT_FORWARD_HEADERS]);
    expect(defaultOptions().forwardHeaders).toEqual([...DEFAULT_FORWARD_HEADERS]);
  });

  it('ignores empty, undefined and unrelated env vars', () => {
    const { options } = parseOptions([], {
      SSE2WS_PORT: '',
      SSE2WS_UPSTREAM_URL: '',
      SSE2WS_HOST: undefined,
      HOME: '/root',
      UPSTREAM: 'ftp://x',
    });
    expect(options).toEqual(defaultOptions());
  });

  it('covers every option of the table in these tests', () => {
    expect([...SAMPLES.map((s) => s.key), ...SWITCHES].sort()).toEqual(
      OPTION_SPECS.map((s) => s.key).sort(),
    );
    expect(OPTION_SPECS.filter(isSwitch).map((s) => s.key)).toEqual([...SWITCHES]);
    for (const s of SAMPLES) {
      const spec = OPTION_SPECS.find((o) => o.key === s.key);
      expect(spec?.flag).toBe(s.flag);
      expect(spec?.env[0]).toBe(s.env);
    }
  });
});

describe.each(SAMPLES)('option $key', ({ key, flag, env, raw, value }) => {
  it(`is set by "${flag} <value>"`, () => {
    expect(parseOptions([flag, raw], {}).options[key]).toEqual(value);
  });

  it(`is set by "${flag}=<value>"`, () => {
    expect(parseOptions([`${flag}=${raw}`], {}).options[key]).toEqual(value);
  });

  it(`is set by ${env}`, () => {
    expect(parseOptions([], { [env]: raw }).options[key]).toEqual(value);
  });

  it(`prefers ${flag} over ${env}`, () => {
    const other = OTHER_RAW[key as keyof typeof OTHER_RAW];
    const fromEnvOnly = parseOptions([], { [env]: other }).options[key];
    expect(fromEnvOnly).not.toEqual(value);
    expect(parseOptions([flag, raw], { [env]: other }).options[key]).toEqual(value);
    expect(parseOptions([`${flag}=${raw}`], { [env]: other }).options[key]).toEqual(value);
  });

  it('leaves every other option at its default', () => {
    const { options } = parseOptions([flag, raw], {});
    expect(options).toEqual({ ...defaultOptions(), [key]: value });
  });
});

describe('parseOptions precedence and forms', () => {
  it('uses PORT when no --port and no SSE2WS_PORT are given', () => {
    expect(parseOptions([], { PORT: '3000' }).options.port).toBe(3000);
  });

  it('prefers SSE2WS_PORT over PORT', () => {
    expect(parseOptions([], { SSE2WS_PORT: '4000', PORT: '3000' }).options.port).toBe(4000);
  });

  it('falls back to PORT when SSE2WS_PORT is empty', () => {
    expect(parseOptions([], { SSE2WS_PORT: '', PORT: '3000' }).options.port).toBe(3000);
  });

  it('prefers --port over both SSE2WS_PORT and PORT', () => {
    const env = { SSE2WS_PORT: '4000', PORT: '3000' };
    expect(parseOptions(['--port', '5000'], env).options.port).toBe(5000);
    expect(parseOptions(['--port=5000'], env).options.port).toBe(5000);
  });

  it('does not validate PORT when SSE2WS_PORT already set the port', () => {
    expect(parseOptions([], { SSE2WS_PORT: '4000', PORT: 'abc' }).options.port).toBe(4000);
  });

  it('does not validate an env var the flag overrides', () => {
    expect(parseOptions(['--port', '5000'], { SSE2WS_PORT: 'abc' }).options.port).toBe(5000);
  });

  it('accepts port 0 (pick a free port) and the top of the range', () => {
    expect(parseOptions(['--port', '0'], {}).options.port).toBe(0);
    expect(parseOptions(['--port', '65535'], {}).options.port).toBe(65535);
  });

  it('lets the last of a repeated flag win', () => {
    expect(parseOptions(['--port', '1', '--port=2'], {}).options.port).toBe(2);
  });

  it('combines many flags and env vars in one call', () => {
    const { options } = parseOptions(
      ['--port=9000', '--upstream', 'http://127.0.0.1:1234/chat', '--log-level', 'silent'],
      { SSE2WS_HOST: '0.0.0.0', SSE2WS_IDLE_TIMEOUT_MS: '5000', SSE2WS_LOG_LEVEL: 'debug' },
    );
    expect(options).toEqual({
      ...defaultOptions(),
      port: 9000,
      host: '0.0.0.0',
      upstreamUrl: 'http://127.0.0.1:1234/chat',
      idleTimeoutMs: 5000,
      logLevel: 'silent',
    });
  });

  it('trims whitespace around numbers and hosts', () => {
    const { options } = parseOptions([], { SSE2WS_PORT: ' 9000 ', SSE2WS_HOST: ' ::1 ' });
    expect(options.port).toBe(9000);
    expect(options.host).toBe('::1');
  });

  it('keeps an "=" inside the value of the --flag=value form', () => {
    const { options } = parseOptions(['--upstream=http://h.example/chat?a=b'], {});
    expect(options.upstreamUrl).toBe('http://h.example/chat?a=b');
  });

  it('normalises the upstream URL', () => {
    expect(parseOptions(['--upstream', 'HTTP://Example.COM'], {}).options.upstreamUrl).toBe(
      'http://example.com/',
    );
  });

  it('reads non-string env bindings (Workers [vars] may be numbers)', () => {
    expect(parseOptions([], { SSE2WS_PORT: 9000 }).options.port).toBe(9000);
  });

  it('reports --help and -h without failing', () => {
    expect(parseOptions(['--help'], {}).help).toBe(true);
    expect(parseOptions(['-h'], {}).help).toBe(true);
    expect(parseOptions(['--port', '1', '--help'], {}).help).toBe(true);
  });

  // Bug: `--help` threw instead of showing the help whenever an env var (or another flag) held an
  // invalid value, so a user could not read the help to learn how to fix their configuration.
  it('still reports --help when an env var or flag value is invalid', () => {
    expect(parseOptions(['--help'], { SSE2WS_PORT: 'abc' }).help).toBe(true);
    expect(parseOptions(['--port', 'abc', '--help'], {}).help).toBe(true);
    expect(parseOptions(['-h'], { SSE2WS_UPSTREAM_URL: 'ftp://x' }).help).toBe(true);
    expect(parseOptions(['--bogus', '--help'], {}).help).toBe(true);
    expect(parseOptions(['--host', '--help'], {}).help).toBe(true);
  });
});

describe('the playground switch', () => {
  const playground = (argv: string[], env: Record<string, string> = {}) =>
    parseOptions(argv, env).options.playground;

  it('is left to the bind by default (served on loopback or with the demo backend only)', () => {
    expect(playground([])).toBeUndefined();
  });

  it('is turned off by --no-playground and on by --playground', () => {
    expect(playground(['--no-playground'])).toBe(false);
    expect(playground(['--playground'])).toBe(true);
  });

  it('takes true/false/1/0 in the --playground=<value> form', () => {
    expect(playground(['--playground=false'])).toBe(false);
    expect(playground(['--playground=0'])).toBe(false);
    expect(playground(['--playground=true'])).toBe(true);
    expect(playground(['--playground=1'])).toBe(true);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', true],
    ['FALSE', false],
    [' True ', true],
  ])('reads SSE2WS_PLAYGROUND=%j as %s', (raw, value) => {
    expect(playground([], { SSE2WS_PLAYGROUND: raw })).toBe(value);
  });

  it('prefers the flag over SSE2WS_PLAYGROUND, both ways', () => {
    expect(playground(['--no-playground'], { SSE2WS_PLAYGROUND: 'true' })).toBe(false);
    expect(playground(['--playground'], { SSE2WS_PLAYGROUND: 'false' })).toBe(true);
    // The flag is checked, the env var it overrides is not.
    expect(playground(['--no-playground'], { SSE2WS_PLAYGROUND: 'nope' })).toBe(false);
  });

  it('lets the last of --playground / --no-playground win', () => {
    expect(playground(['--no-playground', '--playground'])).toBe(true);
    expect(playground(['--playground', '--no-playground'])).toBe(false);
  });

  it('leaves every other option at its default', () => {
    expect(parseOptions(['--no-playground'], {}).options).toEqual({
      ...defaultOptions(),
      playground: false,
    });
  });

  it('does not take the next argument as its value', () => {
    const { options } = parseOptions(['--no-playground', '--port', '9000'], {});
    expect(options).toMatchObject({ playground: false, port: 9000 });
    expectOptionError(['--playground', 'false'], {}, 'false', 'unknown option');
  });

  it('rejects any other value, naming the option', () => {
    for (const raw of ['yes', 'no', 'off', '2', 'truthy']) {
      expectOptionError([], { SSE2WS_PLAYGROUND: raw }, 'SSE2WS_PLAYGROUND', raw, 'true, false');
      expectOptionError([`--playground=${raw}`], {}, '--playground', raw);
    }
    expect(expectOptionError([], { SSE2WS_PLAYGROUND: 'no' })).toBe(
      'SSE2WS_PLAYGROUND: "no" is not one of true, false, 1, 0',
    );
  });

  it('rejects a value on --no-playground', () => {
    expectOptionError(['--no-playground=false'], {}, '--no-playground', 'takes no value');
  });

  it('has no --no- form for options that take a value', () => {
    expectOptionError(['--no-port'], {}, '--no-port', 'unknown option');
    expectOptionError(['--no-bogus'], {}, '--no-bogus', 'unknown option');
  });
});

describe('option groups', () => {
  it('puts every option in a known group and leaves no group empty', () => {
    for (const s of OPTION_SPECS) expect(OPTION_GROUPS).toContain(s.group);
    for (const group of OPTION_GROUPS) {
      expect(OPTION_SPECS.some((s) => s.group === group)).toBe(true);
    }
  });

  it('keeps each group together, in group order', () => {
    const order = OPTION_SPECS.map((s) => OPTION_GROUPS.indexOf(s.group));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives every option its own flag and env vars', () => {
    const flags = OPTION_SPECS.map((s) => s.flag);
    const envs = OPTION_SPECS.flatMap((s) => s.env);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it.each([
    ['playground', 'Server'],
    ['upstreamUrl', 'Upstream'],
    ['heartbeatIntervalMs', 'Heartbeats'],
    ['resumeGraceMs', 'Resume'],
    ['jwtSecret', 'Security'],
    ['rateLimit', 'Limits'],
    ['logFormat', 'Operations'],
  ])('puts %s under %s', (key, group) => {
    expect(OPTION_SPECS.find((s) => s.key === key)?.group).toBe(group);
  });
});

describe('--forward-headers', () => {
  it('lower-cases and splits on commas, dropping blanks and spaces', () => {
    const { options } = parseOptions(
      ['--forward-headers', 'Authorization, X-Tenant-ID,,COOKIE '],
      {},
    );
    expect(options.forwardHeaders).toEqual(['authorization', 'x-tenant-id', 'cookie']);
  });

  it('does the same for SSE2WS_FORWARD_HEADERS', () => {
    const { options } = parseOptions([], { SSE2WS_FORWARD_HEADERS: 'X-A,X-B' });
    expect(options.forwardHeaders).toEqual(['x-a', 'x-b']);
  });

  it('accepts a single header', () => {
    expect(parseOptions(['--forward-headers=X-One'], {}).options.forwardHeaders).toEqual(['x-one']);
  });

  it('rejects a name that is not a header token', () => {
    expectOptionError(
      ['--forward-headers', 'ok,bad header'],
      {},
      '--forward-headers',
      'bad header',
    );
    expectOptionError([], { SSE2WS_FORWARD_HEADERS: 'a:b' }, 'SSE2WS_FORWARD_HEADERS', 'a:b');
  });
});

describe('invalid values throw an OptionError naming the option and the problem', () => {
  it('rejects a port that is not a number', () => {
    const message = expectOptionError(['--port', 'abc'], {}, '--port', 'abc', 'not a number');
    expect(message).toBe('--port: "abc" is not a number');
    expectOptionError(['--port=12ab'], {}, '--port', 'not a number');
    expectOptionError(['--port', '1.5'], {}, '--port', 'not a number');
    expectOptionError(['--port', ''], {}, '--port', 'not a number');
  });

  it('names the env var when the env var is wrong', () => {
    expectOptionError([], { SSE2WS_PORT: 'abc' }, 'SSE2WS_PORT', 'not a number');
    expectOptionError([], { PORT: 'abc' }, 'PORT', 'not a number');
  });

  it('rejects a port out of range', () => {
    expectOptionError(['--port', '65536'], {}, '--port', 'out of range');
    expectOptionError(['--port', '-1'], {}, '--port', 'negative');
  });

  it('rejects an upstream that is not an http(s) URL', () => {
    expectOptionError(['--upstream', 'ftp://x'], {}, '--upstream', 'ftp://x', 'not an http(s) URL');
    expectOptionError(['--upstream', 'not a url'], {}, '--upstream', 'not a url', 'not a URL');
    expectOptionError(['--upstream', 'ws://h/x'], {}, '--upstream', 'http(s)');
    expectOptionError([], { SSE2WS_UPSTREAM_URL: 'ftp://x' }, 'SSE2WS_UPSTREAM_URL', 'http(s)');
  });

  it('rejects a Redis URL of another scheme without echoing it (it may carry a password)', () => {
    const message = expectOptionError(
      ['--redis-url', 'http://:hunter2@h:6379'],
      {},
      '--redis-url',
      'redis://',
    );
    expect(message).not.toContain('hunter2');
    expectOptionError([], { SSE2WS_REDIS_URL: 'not a url' }, 'SSE2WS_REDIS_URL', 'rediss://');
  });

  it('rejects a Redis prefix with spaces or glob characters, and a lease TTL under 300 ms', () => {
    expectOptionError(['--redis-prefix', 'a b'], {}, '--redis-prefix');
    expectOptionError(['--redis-prefix', 'a*'], {}, '--redis-prefix');
    expectOptionError(['--redis-lease-ttl', '100'], {}, '--redis-lease-ttl', 'out of range');
  });

  it('rejects a negative timeout', () => {
    for (const flag of [
      '--connect-timeout',
      '--first-frame-timeout',
      '--idle-timeout',
      '--heartbeat-interval',
      '--heartbeat-timeout',
      '--resume-grace',
      '--resume-retention',
    ]) {
      expectOptionError([flag, '-5'], {}, flag, 'negative', '-5');
      expectOptionError([`${flag}=-5`], {}, flag, 'negative');
    }
    expectOptionError(
      [],
      { SSE2WS_CONNECT_TIMEOUT_MS: '-1' },
      'SSE2WS_CONNECT_TIMEOUT_MS',
      'negative',
    );
  });

  it('rejects a timeout too large for a timer', () => {
    expectOptionError(['--idle-timeout', '2147483648'], {}, '--idle-timeout', 'out of range');
    expect(parseOptions(['--idle-timeout', '2147483647'], {}).options.idleTimeoutMs).toBe(
      2_147_483_647,
    );
  });

  it('rejects a zero or non-numeric message size', () => {
    expectOptionError(['--max-message-bytes', '0'], {}, '--max-message-bytes', 'out of range');
    expectOptionError(['--max-message-bytes', '1MB'], {}, '--max-message-bytes', 'not a number');
  });

  it('rejects an empty host', () => {
    expectOptionError(['--host', '  '], {}, '--host', 'empty');
  });

  it('rejects an unknown log level', () => {
    expectOptionError(['--log-level', 'verbose'], {}, '--log-level', 'verbose', 'debug');
  });

  it('rejects an unknown log format', () => {
    expectOptionError(['--log-format', 'text'], {}, '--log-format', 'text', 'auto, json, pretty');
    expectOptionError([], { SSE2WS_LOG_FORMAT: 'JSON' }, 'SSE2WS_LOG_FORMAT', 'JSON');
  });

  it('rejects an unknown flag', () => {
    expectOptionError(['--prot', '9000'], {}, '--prot', 'unknown option');
    expectOptionError(['--prot=9000'], {}, '--prot=9000', 'unknown option');
    expectOptionError(['-p', '9000'], {}, '-p', 'unknown option');
    expectOptionError(['serve'], {}, 'serve', 'unknown option');
  });

  it('rejects a flag with a missing value', () => {
    expect(expectOptionError(['--port'], {}, '--port', 'missing value')).toBe(
      '--port: missing value',
    );
    expectOptionError(['--log-level', 'debug', '--upstream'], {}, '--upstream', 'missing value');
  });

  // Bug: the space form took the next flag as the value, so `--host --port 9000` set the host to
  // "--port" and then failed with "9000: unknown option", which names the wrong thing.
  it('reports a missing value when the next argument is another flag', () => {
    expectOptionError(['--host', '--port', '9000'], {}, '--host', 'missing value');
    expectOptionError(['--upstream', '--port', '1'], {}, '--upstream', 'missing value');
    expectOptionError(['--log-level=debug', '--port', '--host=x'], {}, '--port', 'missing value');
  });

  it('is an Error named OptionError', () => {
    const error = new OptionError('x: y');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('OptionError');
  });
});

describe('helpText', () => {
  const help = helpText();

  it('starts with the usage line', () => {
    expect(help.startsWith('Usage: sse2ws [options]\n')).toBe(true);
  });

  it('lists every flag, env var and default of the table', () => {
    for (const s of OPTION_SPECS) {
      expect(help).toContain(`  ${toFlagUsage(s)}`);
      for (const env of s.env) expect(help).toContain(env);
      expect(help).toContain(s.help);
    }
    expect(help).toContain('default 8080');
    expect(help).toContain('default 127.0.0.1');
    expect(help).toContain('default none');
    expect(help).toContain('default none (embedded demo backend)');
    expect(help).toContain('--playground');
    expect(help).toContain(
      'env SSE2WS_PLAYGROUND=true|false; default on a loopback bind or with the demo backend only',
    );
    expect(help).toContain('default authorization,cookie,accept-language');
    expect(help).toContain('env SSE2WS_PORT or PORT');
    expect(help).toContain('-h, --help');
  });

  it('lists the options in table order', () => {
    const positions = OPTION_SPECS.map((s) => help.indexOf(`  ${toFlagUsage(s)}`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('shows each option under its group heading', () => {
    const headings = OPTION_GROUPS.map((g) => help.indexOf(`\n${g}:\n`));
    expect(headings.every((p) => p >= 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    for (const s of OPTION_SPECS) {
      const at = help.indexOf(`  ${toFlagUsage(s)}`);
      const g = OPTION_GROUPS.indexOf(s.group);
      expect(at).toBeGreaterThan(headings[g] as number);
      if (g + 1 < headings.length) expect(at).toBeLessThan(headings[g + 1] as number);
    }
  });

  it('shows a switch without a value', () => {
    const playground = OPTION_SPECS.find((s) => s.key === 'playground');
    expect(playground && toFlagUsage(playground)).toBe('--playground');
    expect(help).not.toContain('--playground <');
    expect(help).toMatch(/\n {2}--playground +serve the browser playground/);
  });

  it('states the precedence rule', () => {
    expect(help).toContain('a flag wins over its env var, the env var over the default');
  });
});
