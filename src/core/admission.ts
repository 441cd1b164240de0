/**
 * Connection admission, for every transport on every runtime: draining, the Origin check (against
 * cross-site WebSocket hijacking: the bridge forwards cookies), capacity, then credentials (JWT,
 * auth URL). Transports call {@link Admission.admit} before opening a session and answer a refusal
 * with its HTTP status (`/ws`) or a Socket.IO `connect_error` carrying its code.
 */
import type { SessionOpener } from './bridge.ts';
import { createAuthUrlCheck, createJwtCheck, type CredentialCheck } from './credentials.ts';
import { BridgeError, type ErrorCode } from './errors.ts';
import type { Handshake } from './handshake.ts';
import type { BridgeHooks } from './hooks.ts';
import type { ClientProtocol } from './session.ts';

/** The HTTP status of each refusal code (the `/ws` upgrade answers with it). */
export const REFUSAL_STATUS = {
  unauthorized: 401,
  forbidden_origin: 403,
  server_busy: 503,
  server_shutdown: 503,
} as const satisfies Partial<Record<ErrorCode, number>>;

/** Longest Origin value written to a log line. */
const MAX_LOGGED_ORIGIN = 256;

/** The codes a connection can be refused with. */
export type RefusalCode = keyof typeof REFUSAL_STATUS;

/** The HTTP statuses a refusal answers with. */
export type RefusalStatus = (typeof REFUSAL_STATUS)[RefusalCode];

/** A connect request as a transport reads it. */
export interface AdmissionRequest {
  protocol: ClientProtocol;
  /** Request headers, lower-case names (`origin` and `host` are read here). */
  headers: Readonly<Record<string, string | undefined>>;
  /** Socket.IO `auth.token` or `?token=` on `/ws`. */
  token?: string | undefined;
  /** The request URL: its host stands in for a missing Host header. */
  url?: string | undefined;
}

/** The answer: the handshake to open the session with, or a refusal. */
export type AdmissionResult =
  { ok: true; handshake: Handshake } | { ok: false; error: BridgeError; status: RefusalStatus };

/** Admission of new connections; one per bridge, shared by all its transports. */
export interface Admission {
  /** Check a connect request; every refusal is logged (info) and reported to the observer. */
  admit(request: AdmissionRequest): Promise<AdmissionResult>;
  /**
   * Refuse every new connection from now on with 503 / `server_shutdown` (graceful shutdown).
   * Connected clients are untouched; there is no way back.
   */
  startDraining(): void;
  /** True once {@link startDraining} was called. */
  readonly draining: boolean;
}

/** What admission reads from the bridge: its options, connected sessions, logger and observer. */
export type AdmissionHost = Pick<SessionOpener, 'options' | 'sessions' | 'logger' | 'observer'>;

/**
 * Whether a browser page from `origin` may connect. No Origin (non-browser clients) is always
 * allowed; `*` allows any; a list allows exactly its origins; with no list (`undefined`) only an
 * Origin whose host (with port) is the request's own Host.
 */
export function isOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[] | undefined,
): boolean {
  if (origin === undefined) return true;
  if (allowed?.includes('*')) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage
  }
  if (url.origin === 'null') return false;
  if (allowed !== undefined) return allowed.includes(url.origin);
  if (host === undefined || host === '') return false;
  try {
    // Read Host under the Origin's scheme, so "example.com:443" equals "https://example.com".
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

/** The Host a request was sent to: its Host header, else its URL's host. */
function hostOf(request: AdmissionRequest): string | undefined {
  const header = request.headers.host;
  if (header !== undefined && header !== '') return header;
  if (request.url === undefined) return undefined;
  try {
    return new URL(request.url).host;
  } catch {
    return undefined;
  }
}

/**
 * Build the admission of a bridge. `fetch` serves the JWKS and auth URL requests (Node's global
 * fetch, Workers' fetch); the application's `onConnect` hook, if any, decides last.
 */
export function createAdmission(
  host: AdmissionHost,
  deps: { fetch: typeof fetch; hooks?: BridgeHooks | undefined },
): Admission {
  const { options, sessions, logger, observer } = host;
  const fetcher = deps.fetch;
  // Workers' fetch throws "Illegal invocation" when called as a method of another object.
  const callFetch: typeof fetch = (input, init) => fetcher(input, init);
  const checks = [
    createJwtCheck(options, callFetch),
    createAuthUrlCheck(options, callFetch),
  ].filter((check): check is CredentialCheck => check !== undefined);
  let draining = false;
  /** Connects whose credentials are being checked hold a slot: slow checks cannot overshoot. */
  let checking = 0;

  const refuse = (
    request: AdmissionRequest,
    code: RefusalCode,
    reason: string,
    message?: string,
  ): AdmissionResult => {
    observer.handshakeRefused(code);
    // Origin is public (bounded: it is client input); tokens and cookies are never logged.
    const origin = request.headers.origin?.slice(0, MAX_LOGGED_ORIGIN);
    logger.info(
      { protocol: request.protocol, code, reason, ...(origin !== undefined ? { origin } : {}) },
      'connection refused',
    );
    return { ok: false, error: new BridgeError(code, message), status: REFUSAL_STATUS[code] };
  };

  const admit = async (request: AdmissionRequest): Promise<AdmissionResult> => {
    if (draining) return refuse(request, 'server_shutdown', 'draining');
    if (!isOriginAllowed(request.headers.origin, hostOf(request), options.allowedOrigins)) {
      return refuse(request, 'forbidden_origin', 'origin_not_allowed');
    }
    if (sessions.size + checking >= options.maxConnections) {
      return refuse(request, 'server_busy', 'max_connections');
    }
    const handshake: Handshake = { headers: request.headers, token: request.token };
    checking++;
    try {
      for (const check of checks) {
        const outcome = await check(handshake);
        if (!outcome.ok) return refuse(request, 'unauthorized', outcome.reason, outcome.message);
        if (outcome.userId !== undefined) handshake.userId = outcome.userId;
        if (outcome.expiresAt !== undefined) handshake.expiresAt = outcome.expiresAt;
        if (outcome.conversations !== undefined) handshake.conversations = outcome.conversations;
      }
      const onConnect = deps.hooks?.onConnect;
      if (onConnect) {
        let decision: Awaited<ReturnType<typeof onConnect>>;
        try {
          decision = await onConnect({
            protocol: request.protocol,
            headers: request.headers,
            userId: handshake.userId,
          });
        } catch (error) {
          const message = error instanceof BridgeError ? error.message : undefined;
          if (!(error instanceof BridgeError)) {
            logger.error({ err: String(error) }, 'onConnect hook failed');
          }
          return refuse(request, 'unauthorized', 'on_connect_threw', message);
        }
        if (decision === false) return refuse(request, 'unauthorized', 'on_connect_refused');
        if (typeof decision === 'object') {
          if (decision.userId !== undefined) handshake.userId = decision.userId;
          if (decision.data !== undefined) handshake.data = decision.data;
        }
      }
    } finally {
      checking--;
    }
    // Draining may have started while the credentials were checked.
    if (draining) return refuse(request, 'server_shutdown', 'draining');
    return { ok: true, handshake };
  };

  return {
    admit,
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}
