/** What the bridge keeps of a client's handshake, and the headers it forwards upstream. */

/** A client's connect request, as each transport adapter reads it. */
export interface Handshake {
  /** Request headers, lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** A token from Socket.IO `auth.token` or `?token=` on `/ws`. */
  token?: string | undefined;
  /** The verified user (a JWT's `sub`, the connect check's `userId`), once admission checked it. */
  userId?: string | undefined;
  /** When the credentials expire (a JWT's `exp`, ms since the epoch), once admission checked them. */
  expiresAt?: number | undefined;
  /** The JWT's conversations claim (ids and `prefix*` patterns), once admission checked it. */
  conversations?: string[] | undefined;
  /** What the application's `onConnect` hook attached to the client. */
  data?: Record<string, unknown> | undefined;
}

/** Values containing CR or LF would let a client smuggle headers into the upstream request. */
const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

/** No header to forward: one shared record instead of an empty object per connection. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The handshake headers named in `--forward-headers`, plus `Authorization: Bearer <token>` when a
 * token was given and the handshake had no Authorization header (browsers cannot set headers on
 * a WebSocket).
 */
export function toForwardedHeaders(
  handshake: Handshake,
  forwardHeaders: readonly string[],
): Readonly<Record<string, string>> {
  const forwarded: Record<string, string> = {};
  for (const name of forwardHeaders) {
    const value = handshake.headers[name];
    if (value === undefined || value === '' || UNSAFE_HEADER_VALUE.test(value)) continue;
    forwarded[name] = value;
  }
  const token = handshake.token;
  if (
    token !== undefined &&
    token !== '' &&
    forwarded.authorization === undefined &&
    handshake.headers.authorization === undefined &&
    !UNSAFE_HEADER_VALUE.test(token)
  ) {
    forwarded.authorization = `Bearer ${token}`;
  }
  return Object.keys(forwarded).length === 0 ? NO_HEADERS : forwarded;
}
