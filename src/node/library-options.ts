/**
 * What `createBridge` takes: the CLI's option table (less what a library bridge cannot honour, with
 * what to use instead) plus the runtime pieces, and the check of its path options.
 */
import {
  OptionError,
  type BridgeConfig,
  type BridgeHooks,
  type BridgeObserver,
  type BridgeOptions,
  type Logger,
  type Registry,
  type UnsupportedOptions,
} from '../core/index.ts';

/**
 * Options of the table `createBridge` cannot honour, with what to use instead: it listens on no
 * port, makes no logger, opens no Redis connection and handles no signal.
 */
export const CREATE_BRIDGE_UNSUPPORTED = {
  port: 'the bridge listens on your server: bridge.attach(server), then server.listen(port)',
  host: 'the bridge listens on your server: bridge.attach(server), then server.listen(port, host)',
  playground: 'the playground page is served by startNodeServer and the sse2ws CLI',
  logLevel: "pass a `logger` (pino-like, e.g. pino({ level: 'debug' }))",
  logFormat: 'pass a `logger` (pino-like) writing the format you want',
  drainTimeoutMs:
    'on shutdown call bridge.startDraining(), wait as long as you like, then bridge.close()',
  redisUrl:
    'it opens no Redis connections: use startNodeServer({ redisUrl }) or the CLI (--redis-url), or pass a shared `registry`',
  redisPrefix: 'it opens no Redis connections: use startNodeServer or the CLI (--redis-prefix)',
  redisLeaseTtlMs:
    'it opens no Redis connections: use startNodeServer or the CLI (--redis-lease-ttl)',
} as const satisfies UnsupportedOptions;

/** The runtime pieces `createBridge` takes besides the option table's keys. */
export const CREATE_BRIDGE_KEYS = [
  'hooks',
  'logger',
  'registry',
  'observer',
  'bridgeConfig',
  'wsPath',
  'socketIoPath',
  'bindHost',
] as const;

/**
 * What `createBridge` takes: the bridge options of the CLI's table (defaults as the CLI's; those in
 * {@link CREATE_BRIDGE_UNSUPPORTED} excepted), plus the runtime pieces.
 */
export interface CreateBridgeOptions extends Partial<
  Omit<BridgeOptions, 'upstreamUrl' | keyof typeof CREATE_BRIDGE_UNSUPPORTED>
> {
  /** The SSE backend `chat_message`s are POSTed to. */
  upstreamUrl: string;
  /** The application's hooks. */
  hooks?: BridgeHooks;
  /** Structured logger (pino-compatible); silent unless given. */
  logger?: Logger;
  /**
   * Streams, conversations and topics; in-memory unless given (a shared one spans instances). A
   * given registry stays open when the bridge closes: it is the application's to close.
   */
  registry?: Registry;
  /** Metrics hooks. */
  observer?: BridgeObserver;
  /** Request shaping and custom profiles; read from the `config` file option unless given. */
  bridgeConfig?: BridgeConfig | undefined;
  /** Where plain WebSocket clients connect. @default "/ws" */
  wsPath?: string;
  /** Socket.IO's path when `attach` creates the Socket.IO server. @default "/socket.io/" */
  socketIoPath?: string;
  /**
   * The address the server listens on, when known: a loopback bind answers only loopback Host
   * names (against DNS rebinding). @default undefined (any Host, unless `allowedHosts`)
   */
  bindHost?: string;
}

/** The runtime pieces of a bridge, besides its resolved options. */
export type BridgeDeps = Pick<CreateBridgeOptions, (typeof CREATE_BRIDGE_KEYS)[number]>;

/** A path option: undefined, or a string starting with "/". */
export const checkPath = (name: string, path: string | undefined): string | undefined => {
  if (path === undefined || (typeof path === 'string' && path.startsWith('/'))) return path;
  throw new OptionError(`${name}: must be a path starting with "/" (got ${JSON.stringify(path)})`, {
    option: name,
  });
};
