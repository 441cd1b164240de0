/**
 * Connection admission, for every transport on every runtime: draining, the Origin check (against
 * cross-site WebSocket hijacking: the bridge forwards cookies), capacity, then credentials (JWT,
 * auth URL). Transports call {@link Admission.admit} before opening a session and answer a refusal
 * with its HTTP status (`/ws`) or a Socket.IO `connect_error` carrying its code.
 */
import type { SessionOpener } from '../session/opener.ts';
import {
  createAuthUrlCheck,
  createJwtCheck,
  type CredentialCheck,
  toPresentedToken,
} from '../auth/credentials.ts';
import { assertOriginPolicy, isHostAllowed } from './hosts.ts';
import {
  BridgeError,
  ERROR_TABLE,
  type ErrorCode,
  type HttpErrorStatus,
} from '../internal/errors.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { createLifecycle } from '../internal/lifecycle.ts';
import type { BridgeHooks } from '../stream/hooks.ts';
import type { ClientProtocol } from '../session/session.ts';

/** Longest Origin value written to a log line. */
const MAX_LOGGED_ORIGIN = 256;

/** The codes a connection can be refused with (their HTTP status is in the error table). */
export type RefusalCode = Extract<
  ErrorCode,
  'unauthorized' | 'forbidden_origin' | 'server_busy' | 'server_shutdown'
>;

/** The HTTP statuses a refusal answers with (from the error table). */
export type RefusalStatus = HttpErrorStatus;

/** A connect request as a transport reads it. */
export interface AdmissionRequest {
  protocol: ClientProtocol;
  /** Request headers, lower-case names (`origin` and `host` are read here). */
  headers: Readonly<Record<string, string | undefined>>;
  /** Socket.IO `auth.token` or `?token=` on `/ws`. */
  token?: string | undefined;
  /** The request URL: its host stands in for a missing Host header. */
  url?: string | undefined;
  /**
   * `handshake`: a transport handshake before any session exists (Socket.IO's Engine.IO
   * handshake): origin, host and capacity are checked, credentials only when it carries a token,
   * the `onConnect` hook not yet. `connect` (default): the full check.
   */
  stage?: 'handshake' | 'connect';
  /** The connection already holds a slot (an Engine.IO session admitted at its handshake). */
  holdsSlot?: boolean;
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
  /**
   * Count more connections against `maxConnections` than the sessions: e.g. Engine.IO sessions
   * not yet connected to a namespace.
   */
  countPending(counter: () => number): void;
}

/** What admission reads from the bridge: its options, connected sessions, logger and observer. */
export type AdmissionHost = Pick<
  SessionOpener,
  'options' | 'sessions' | 'logger' | 'observer' | 'lifecycle'
>;

/**
 * Whether a browser page from `origin` may connect. No Origin (non-browser clients) is always
 * allowed; `*` allows any; a list allows exactly its origins; with no list (`undefined`) only an
 * Origin whose host (with port) is the bridge's own: one of `--allowed-hosts` when set (not the
 * request's Host, which a DNS-rebinding page controls), else the request's Host.
 */
export function isOriginAllowed(
  origin: string | undefined,
  host: string | readonly string[] | undefined,
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
  const hosts = typeof host === 'string' ? [host] : (host ?? []);
  return hosts.some((own) => {
    if (own === '') return false;
    try {
      // Read Host under the Origin's scheme, so "example.com:443" equals "https://example.com".
      return new URL(`${url.protocol}//${own}`).host === url.host;
    } catch {
      return false;
    }
  });
}

/** The request was sent to a URL whose host is not given: the Host header, else the URL's. */
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
  deps: {
    fetch: typeof fetch;
    hooks?: BridgeHooks | undefined;
    /** The address the server listens on (Node): a loopback bind answers loopback names only. */
    bindHost?: string | undefined;
  },
): Admission {
  const { options, sessions, logger, observer } = host;
  assertOriginPolicy(options);
  const fetcher = deps.fetch;
  // Workers' fetch throws "Illegal invocation" when called as a method of another object.
  const callFetch: typeof fetch = (input, init) => fetcher(input, init);
  const checks = [
    createJwtCheck(options, callFetch),
    createAuthUrlCheck(options, callFetch),
  ].filter((check): check is CredentialCheck => check !== undefined);
  const lifecycle = host.lifecycle ?? createLifecycle();
  /** Connects whose credentials are being checked hold a slot: slow checks cannot overshoot. */
  let checking = 0;
  const pendingCounters: Array<() => number> = [];
  const connections = (): number => {
    let n = sessions.size + checking;
    for (const counter of pendingCounters) n += counter();
    return n;
  };

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
    return { ok: false, error: new BridgeError(code, message), status: ERROR_TABLE[code].status };
  };

  const admit = async (request: AdmissionRequest): Promise<AdmissionResult> => {
    // A draining bridge answers at the namespace CONNECT, where the client can read the code.
    if (lifecycle.draining && request.stage !== 'handshake') {
      return refuse(request, 'server_shutdown', 'draining');
    }
    const host = hostOf(request);
    if (!isHostAllowed(request.headers.host, deps.bindHost, options.allowedHosts)) {
      return refuse(request, 'forbidden_origin', 'host_not_allowed');
    }
    const ownHosts = options.allowedHosts ?? host;
    if (!isOriginAllowed(request.headers.origin, ownHosts, options.allowedOrigins)) {
      return refuse(request, 'forbidden_origin', 'origin_not_allowed');
    }
    if (connections() - (request.holdsSlot ? 1 : 0) >= options.maxConnections) {
      return refuse(request, 'server_busy', 'max_connections');
    }
    const handshake: Handshake = { headers: request.headers, token: request.token };
    // At a transport handshake the token usually comes later (Socket.IO `auth`): checked if here.
    if (request.stage === 'handshake' && toPresentedToken(handshake) === undefined) {
      return { ok: true, handshake };
    }
    checking++;
    try {
      for (const check of checks) {
        const outcome = await check(handshake);
        if (!outcome.ok) return refuse(request, 'unauthorized', outcome.reason, outcome.message);
        if (outcome.userId !== undefined) handshake.userId = outcome.userId;
        if (outcome.expiresAt !== undefined) handshake.expiresAt = outcome.expiresAt;
        if (outcome.conversations !== undefined) handshake.conversations = outcome.conversations;
      }
      const onConnect = request.stage === 'handshake' ? undefined : deps.hooks?.onConnect;
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
    if (lifecycle.draining) return refuse(request, 'server_shutdown', 'draining');
    return { ok: true, handshake };
  };

  return {
    admit,
    startDraining: () => lifecycle.startDraining(),
    get draining() {
      return lifecycle.draining;
    },
    countPending(counter) {
      pendingCounters.push(counter);
    },
  };
}
