/**
 * Every failure the bridge reports to a client has one of these codes. The table below maps each
 * code to its default message and the WebSocket close code used when the failure ends a connection.
 */
export type ErrorCode =
  | 'bad_message'
  | 'unknown_event'
  | 'bad_request'
  | 'unknown_request'
  | 'unknown_client'
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
  | 'internal_error';

interface ErrorSpec {
  /** Default human-readable message. */
  message: string;
  /** WebSocket close code when this error ends a connection. */
  closeCode: number;
}

/** code -> default message -> WebSocket close code (1008 policy, 1009 too big, 1011 upstream). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorSpec>> = {
  bad_message: {
    message: 'message must be a JSON object with a string "event"',
    closeCode: 1008,
  },
  unknown_event: { message: 'unknown event', closeCode: 1008 },
  bad_request: { message: 'invalid request data', closeCode: 1008 },
  unknown_request: { message: 'no such request', closeCode: 1008 },
  unknown_client: { message: 'no such client', closeCode: 1008 },
  resume_unavailable: {
    message: 'the stream is unknown, expired, or no longer holds the frames asked for',
    closeCode: 1008,
  },
  unauthorized: { message: 'missing, invalid or expired credentials', closeCode: 1008 },
  forbidden: { message: 'not allowed for these credentials', closeCode: 1008 },
  token_expired: { message: 'the token expired and was not refreshed', closeCode: 1008 },
  forbidden_origin: { message: 'this origin may not connect', closeCode: 1008 },
  server_busy: { message: 'too many connections; try again later', closeCode: 1013 },
  too_many_streams: { message: 'too many running streams', closeCode: 1008 },
  too_many_conversations: { message: 'too many conversations on this connection', closeCode: 1008 },
  rate_limited: { message: 'too many messages; slow down', closeCode: 1008 },
  slow_consumer: { message: 'the client did not read its frames in time', closeCode: 1013 },
  server_shutdown: { message: 'the server is shutting down; reconnect', closeCode: 1001 },
  message_too_big: { message: 'message exceeds the size limit', closeCode: 1009 },
  upstream_status: { message: 'upstream answered with an error status', closeCode: 1011 },
  upstream_unavailable: { message: 'upstream could not be reached', closeCode: 1011 },
  upstream_timeout: { message: 'upstream timed out', closeCode: 1011 },
  upstream_closed: { message: 'upstream closed the connection mid-stream', closeCode: 1011 },
  upstream_bad_response: {
    message: 'upstream answered with an unsupported content type',
    closeCode: 1011,
  },
  upstream_error: { message: 'upstream reported an error', closeCode: 1011 },
  upstream_lost: {
    message: 'the bridge instance running this request stopped; send the message again',
    closeCode: 1011,
  },
  store_unavailable: {
    message: 'the shared store (Redis) is unavailable; try again later',
    closeCode: 1013,
  },
  internal_error: { message: 'internal bridge error', closeCode: 1011 },
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
