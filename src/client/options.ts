/** Options of {@link connect} and their defaults. */
import type { ClientProtocol } from './protocol.ts';

/** First reconnect delay: most drops are a deploy or a network blip that is over at once. */
export const DEFAULT_RECONNECT_DELAY_MS = 500;
/** Longest reconnect delay: a long outage is noticed within this long of its end. */
export const DEFAULT_RECONNECT_DELAY_MAX_MS = 30_000;
/**
 * Share of each delay taken away at random: clients that lost the same server do not all come
 * back in the same instant.
 */
export const DEFAULT_RECONNECT_JITTER = 0.5;
/** A handshake that has not completed by then is abandoned and retried. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** `/ws` ping interval: the bridge's own server-side heartbeat default. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 25_000;
/** A `/ws` ping unanswered this long (and no other message) means the server is gone. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 20_000;
/** Wait before re-sending a message the bridge refused with `rate_limited` (10 tokens/s). */
export const DEFAULT_RATE_LIMIT_RETRY_MS = 1_000;

/** The part of the WebSocket API the client uses (browsers' WebSocket, Node 22's, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `globalThis.WebSocket`, or `WebSocket` from the `ws` package. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** `ws` opens `<url>/ws`; `socketio` uses socket.io-client (WebSocket transport only). */
  protocol: ClientProtocol;
  /** Sent as `?token=` on `/ws`, as `auth.token` on Socket.IO. */
  auth?: { token?: string };
  /**
   * The WebSocket class for `ws`. @default globalThis.WebSocket (Node 20 has none: pass `ws`'s)
   */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after a lost connection; false closes the client instead. @default true */
  reconnect?: boolean;
  /** @default DEFAULT_RECONNECT_DELAY_MS (500), doubled per failed attempt */
  reconnectDelayMs?: number;
  /** @default DEFAULT_RECONNECT_DELAY_MAX_MS (30000) */
  reconnectDelayMaxMs?: number;
  /** 0 (none) to 1 (anywhere from 0 to the delay). @default DEFAULT_RECONNECT_JITTER (0.5) */
  reconnectJitter?: number;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS (10000) */
  connectTimeoutMs?: number;
  /** `/ws` only; Socket.IO runs its own heartbeat. @default DEFAULT_HEARTBEAT_INTERVAL_MS (25000) */
  heartbeatIntervalMs?: number;
  /** `/ws` only. @default DEFAULT_HEARTBEAT_TIMEOUT_MS (20000) */
  heartbeatTimeoutMs?: number;
}

/** {@link ConnectOptions} with every default filled in. */
export type ResolvedOptions = Required<Omit<ConnectOptions, 'auth' | 'WebSocket'>> &
  Pick<ConnectOptions, 'auth' | 'WebSocket'>;

/** Fill in the defaults. */
export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  return {
    reconnect: true,
    reconnectDelayMs: DEFAULT_RECONNECT_DELAY_MS,
    reconnectDelayMaxMs: DEFAULT_RECONNECT_DELAY_MAX_MS,
    reconnectJitter: DEFAULT_RECONNECT_JITTER,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: DEFAULT_HEARTBEAT_TIMEOUT_MS,
    ...withoutUndefined(options),
    protocol: options.protocol,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The delay before reconnect attempt `failures + 1`: exponential from `reconnectDelayMs`, capped,
 * minus a random share of up to `reconnectJitter`.
 */
export function toBackoffDelay(
  failures: number,
  options: Pick<ResolvedOptions, 'reconnectDelayMs' | 'reconnectDelayMaxMs' | 'reconnectJitter'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.reconnectDelayMaxMs, options.reconnectDelayMs * 2 ** failures);
  return Math.round(ceiling * (1 - options.reconnectJitter * random()));
}
