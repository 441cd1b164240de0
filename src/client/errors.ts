/**
 * The one error type of the client SDK: a string `code`, either one the bridge sent (`{code,
 * message}` payloads, see docs/protocol.md) or one the client detected itself.
 */
import type { ErrorCode } from '../core/internal/errors.ts';

/** Failures the client notices on its own, without a message from the bridge. */
export type ClientSideErrorCode =
  /** A connection attempt failed: refused, timed out, or closed before it opened. */
  | 'connect_failed'
  /** An open connection closed. */
  | 'connection_lost'
  /** An open `/ws` connection did not answer a heartbeat ping in time. */
  | 'heartbeat_timeout'
  /** `client.close()` was called. */
  | 'closed';

/** Every code a {@link ClientError} can carry. */
export type ClientErrorCode = ErrorCode | ClientSideErrorCode;

/** A failure of the bridge or of the connection to it. */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** Fields next to code and message (e.g. `first_seq` of `resume_unavailable`, a close code). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ClientErrorCode,
    message?: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? code, { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** The error a bridge payload `{code, message, ...details}` describes. */
export function fromErrorPayload(payload: unknown): ClientError {
  if (typeof payload !== 'object' || payload === null) {
    return new ClientError('internal_error', 'the bridge sent an error without a payload');
  }
  const { code, message, ...details } = payload as Record<string, unknown>;
  return new ClientError(
    (typeof code === 'string' ? code : 'internal_error') as ClientErrorCode,
    typeof message === 'string' ? message : undefined,
    { details },
  );
}
