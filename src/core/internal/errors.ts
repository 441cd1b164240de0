/**
 * Every failure the bridge reports to a client has one of these codes. The table below maps each
 * code to its default message, the WebSocket close code used when the failure ends a connection,
 * and the HTTP status used when it answers a request.
 */
export type ErrorCode =
  | 'bad_message'
  | 'unknown_event'
  | 'bad_request'
  | 'unknown_request'
  | 'unknown_client'
  | 'not_found'
  | 'resume_unavailable'
  | 'unauthorized'
  | 'forbidden'
  | 'token_expired'
  | 'forbidden_origin'
  | 'server_busy'
  | 'too_many_streams'
  | 'too_many_conversations'
  | 'rate_limited'
  | 'slow_consumer'
  | 'server_shutdown'
  | 'message_too_big'
  | 'upstream_status'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'upstream_closed'
  | 'upstream_bad_response'
  | 'upstream_error'
  | 'upstream_lost'
  | 'store_unavailable'
  | 'bad_config'
  | 'internal_error';

/**
 * WebSocket close codes the bridge uses (RFC 6455 section 7.4.1), by meaning. Every close the
 * bridge makes takes its code from here or from {@link ERROR_TABLE}.
 */
export const WS_CLOSE = {
  /** The peer is done (a client closed, an internal link finished). */
  normal: 1000,
  /** The server is going away (shutdown). */
  goingAway: 1001,
  /** The client broke a rule (refused, rate-limited, token expired). */
  policy: 1008,
  /** A message exceeds the size limit. */
  tooBig: 1009,
  /** The bridge or its upstream failed. */
  internal: 1011,
  /** Overloaded or a dependency is down: reconnect later. */
  tryAgainLater: 1013,
} as const;

/** One of {@link WS_CLOSE}. */
export type WsCloseCode = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];

/** The HTTP statuses the bridge answers with besides 200. */
export type HttpErrorStatus = 400 | 401 | 403 | 404 | 413 | 429 | 500 | 502 | 503 | 504;

interface ErrorSpec {
  /** Default human-readable message. */
  message: string;
  /** WebSocket close code when this error ends a connection. */
  close: WsCloseCode;
  /** HTTP status when this error answers an HTTP request (an upgrade, the admin API, Workers). */
  status: HttpErrorStatus;
}

/**
 * The one error table: code -> default message (the client payload's `message`), the WebSocket
 * close code when the error ends a connection, and the HTTP status when it answers a request.
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorSpec>> = {
  bad_message: {
    message: 'message must be a JSON object with a string "event"',
    close: WS_CLOSE.policy,
    status: 400,
  },
  unknown_event: { message: 'unknown event', close: WS_CLOSE.policy, status: 400 },
  bad_request: { message: 'invalid request data', close: WS_CLOSE.policy, status: 400 },
  unknown_request: { message: 'no such request', close: WS_CLOSE.policy, status: 404 },
  unknown_client: { message: 'no such client', close: WS_CLOSE.policy, status: 404 },
  not_found: { message: 'no such path', close: WS_CLOSE.policy, status: 404 },
  resume_unavailable: {
    message: 'the stream is unknown, expired, or no longer holds the frames asked for',
    close: WS_CLOSE.policy,
    status: 404,
  },
  unauthorized: {
    message: 'missing, invalid or expired credentials',
    close: WS_CLOSE.policy,
    status: 401,
  },
  forbidden: { message: 'not allowed for these credentials', close: WS_CLOSE.policy, status: 403 },
  token_expired: {
    message: 'the token expired and was not refreshed',
    close: WS_CLOSE.policy,
    status: 401,
  },
  forbidden_origin: { message: 'this origin may not connect', close: WS_CLOSE.policy, status: 403 },
  server_busy: {
    message: 'too many connections; try again later',
    close: WS_CLOSE.tryAgainLater,
    status: 503,
  },
  too_many_streams: { message: 'too many running streams', close: WS_CLOSE.policy, status: 429 },
  too_many_conversations: {
    message: 'too many conversations on this connection',
    close: WS_CLOSE.policy,
    status: 429,
  },
  rate_limited: { message: 'too many messages; slow down', close: WS_CLOSE.policy, status: 429 },
  slow_consumer: {
    message: 'the client did not read its frames in time',
    close: WS_CLOSE.tryAgainLater,
    status: 503,
  },
  server_shutdown: {
    message: 'the server is shutting down; reconnect',
    close: WS_CLOSE.goingAway,
    status: 503,
  },
  message_too_big: {
    message: 'message exceeds the size limit',
    close: WS_CLOSE.tooBig,
    status: 413,
  },
  upstream_status: {
    message: 'upstream answered with an error status',
    close: WS_CLOSE.internal,
    status: 502,
  },
  upstream_unavailable: {
    message: 'upstream could not be reached',
    close: WS_CLOSE.internal,
    status: 502,
  },
  upstream_timeout: { message: 'upstream timed out', close: WS_CLOSE.internal, status: 504 },
  upstream_closed: {
    message: 'upstream closed the connection mid-stream',
    close: WS_CLOSE.internal,
    status: 502,
  },
  upstream_bad_response: {
    message: 'upstream answered with an unsupported content type',
    close: WS_CLOSE.internal,
    status: 502,
  },
  upstream_error: { message: 'upstream reported an error', close: WS_CLOSE.internal, status: 502 },
  upstream_lost: {
    message: 'the bridge instance running this request stopped; send the message again',
    close: WS_CLOSE.internal,
    status: 503,
  },
  store_unavailable: {
    message: 'the shared store (Redis) is unavailable; try again later',
    close: WS_CLOSE.tryAgainLater,
    status: 503,
  },
  internal_error: { message: 'internal bridge error', close: WS_CLOSE.internal, status: 500 },
  bad_config: {
    message: 'the deployment configuration is invalid',
    close: WS_CLOSE.internal,
    status: 500,
  },
};

/** The payload a client receives for an error: `{code, message}` plus code-specific details. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  [detail: string]: unknown;
}

/** The one error type of the bridge: a string `code` from {@link ERROR_TABLE}, with `cause`. */
export class BridgeError extends Error {
  readonly code: ErrorCode;
  /** Extra fields sent to the client next to code and message (e.g. `status`). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? ERROR_TABLE[code].message, { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** The WebSocket close code when this error ends a connection. */
  get closeCode(): WsCloseCode {
    return ERROR_TABLE[this.code].close;
  }

  /** The HTTP status when this error answers a request. */
  get status(): HttpErrorStatus {
    return ERROR_TABLE[this.code].status;
  }

  /** The client-facing payload of this error. */
  toPayload(): ErrorPayload {
    return { ...this.details, code: this.code, message: this.message };
  }
}

/** Narrow an unknown thrown value to a BridgeError, wrapping anything else as `internal_error`. */
export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  return new BridgeError('internal_error', undefined, { cause: error });
}
