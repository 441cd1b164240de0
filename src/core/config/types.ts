/** The resolved options' shape and the small types their values take. */
import type { UpstreamFormat } from './upstream-format.ts';

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

/** Environment-like lookup: `process.env` on Node, the `env` bindings on Workers. */
export type EnvSource = Readonly<Record<string, unknown>>;
