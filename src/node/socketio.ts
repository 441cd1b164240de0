/**
 * Socket.IO v4 on the bridge's HTTP server: chat events in, chat_response out, acks both ways.
 * Socket.IO's own ping/pong carries the heartbeat.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { type Namespace, Server as SocketIoServer, type Socket } from 'socket.io';
import {
  BridgeError,
  SOCKET_IO_PATH,
  type Admission,
  type AdmittedClient,
  type ClientEntry,
} from '../core/index.ts';
import { fromNodeHeaders } from './headers.ts';
import { type EngineConnection, SocketIoClient } from './socketio-client.ts';

/** An Engine.IO session as the handshake gate sees it. */
type PendingConnection = EngineConnection & {
  request?: object | null;
  close(discard?: boolean): void;
};

/** How long an allowed Engine.IO handshake may take to become a session before its slot is freed. */
const RESERVATION_MS = 10_000;

/**
 * Engine.IO sessions count against `maxConnections` from their handshake on, whether or not they
 * connected to a namespace yet: `allowRequest` admits each handshake (origin, host, capacity, a
 * token if it carries one) before a session exists, and a session that does not CONNECT to the
 * namespace within `handshakeTimeoutMs` is closed (socket.io's `connectTimeout`).
 */
function gateEngineHandshakes(admission: Admission, handshakeTimeoutMs: number) {
  /** Engine.IO sessions not (yet) connected to the namespace. */
  const pending = new Set<object>();
  /** Handshakes allowed whose session is being made. */
  const reserved = new Map<object, ReturnType<typeof setTimeout>>();
  const release = (req: object): void => {
    const timer = reserved.get(req);
    if (timer === undefined) return;
    clearTimeout(timer);
    reserved.delete(req);
  };
  admission.countPending(() => pending.size + reserved.size);
  /** When each pending session is discarded unless it connects. */
  const deadlines = new WeakMap<object, ReturnType<typeof setTimeout>>();
  // Shared (`this` is the connection): a connection holds no closures of the gate's.
  function onPendingClose(this: object): void {
    clearTimeout(deadlines.get(this));
    deadlines.delete(this);
    pending.delete(this);
  }
  const allowRequest = (
    req: IncomingMessage,
    callback: (err: string | null, ok: boolean) => void,
  ) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    admission
      .admit({
        protocol: 'socketio',
        stage: 'handshake',
        headers: fromNodeHeaders(req.headers),
        token: query.get('token') ?? undefined,
      })
      .then(
        (result) => {
          if (!result.ok) return callback(`${result.error.code}: ${result.error.message}`, false);
          reserved.set(
            req,
            setTimeout(() => reserved.delete(req), RESERVATION_MS),
          );
          callback(null, true);
        },
        () => callback('internal_error', false),
      );
  };
  return {
    allowRequest,
    /** A new Engine.IO session: pending until its namespace CONNECT. */
    opened(conn: PendingConnection): void {
      if (conn.request) release(conn.request);
      pending.add(conn);
      // socket.io's own connectTimeout closes gracefully, which on long-polling waits for a next
      // poll (up to 30 s) that a flood never sends: discard the transport instead.
      deadlines.set(
        conn,
        setTimeout(() => {
          if (pending.has(conn)) conn.close(true);
        }, handshakeTimeoutMs),
      );
      conn.once('close', onPendingClose);
    },
    /** Its namespace CONNECT was admitted: the session counts as a session now. */
    connected(conn: PendingConnection): void {
      onPendingClose.call(conn);
      conn.off('close', onPendingClose);
    },
  };
}

/**
 * Attach a Socket.IO server for the bridge to `server`. Clients connect to the namespace of the
 * bridge's profile (`/` unless the profile says otherwise; only that one is served). Every
 * Engine.IO handshake (long-polling or WebSocket) goes through `admission` (refusals answer 403 /
 * 400 with the code in the message), and so does every namespace CONNECT (a refusal reaches the
 * client as `connect_error` with `data: {code, message}`).
 */
export function attachSocketIo(
  server: HttpServer,
  entry: ClientEntry,
  path: string = SOCKET_IO_PATH,
): SocketIoServer {
  const { options, profile } = entry.opener;
  const allowed = options.allowedOrigins;
  const gate = gateEngineHandshakes(entry.admission, options.handshakeTimeoutMs);
  const io = new SocketIoServer(server, {
    path,
    allowRequest: gate.allowRequest,
    // The gate's own timer (a discarding close) must come first: a graceful close started by this
    // one would make the discarding close a no-op.
    connectTimeout: options.handshakeTimeoutMs * 2,
    pingInterval: options.heartbeatIntervalMs,
    pingTimeout: options.heartbeatTimeoutMs,
    maxHttpBufferSize: options.maxMessageBytes,
    // ~16x memory per connection for little gain on short JSON frames.
    perMessageDeflate: false,
    // Long-polling from an allowed other origin needs CORS (with cookies); the default policy is
    // same-origin only, which needs none. `*` never reflects an Origin with credentials: any site
    // could then act as the logged-in user.
    ...(allowed !== undefined
      ? allowed.includes('*')
        ? { cors: { origin: '*', credentials: false } }
        : { cors: { origin: allowed, credentials: true } }
      : {}),
  });
  io.engine.on('connection', (conn: Parameters<typeof gate.opened>[0]) => gate.opened(conn));
  const { namespace } = profile;
  const nsp = io.of(namespace);
  if (nsp !== io.sockets) {
    // The root namespace always exists in socket.io: refuse it rather than serve nothing there.
    io.use((_socket, next) => {
      const message = `this bridge serves Socket.IO on namespace "${namespace}" (profile ${profile.name})`;
      const payload = new BridgeError('bad_request', message).toPayload();
      next(Object.assign(new Error(payload.message), { data: payload }));
    });
  }
  serveNamespace(nsp, entry, gate);
  return io;
}

/**
 * Serve the bridge on a Socket.IO namespace (of this server or of an application's own): every
 * connect goes through `admission`, then its events go to a session.
 */
export function serveNamespace(
  nsp: Namespace,
  entry: ClientEntry,
  gate?: { connected(conn: PendingConnection): void },
): void {
  const admitted = new WeakMap<Socket, AdmittedClient>();
  nsp.use(async (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const result = await entry.enter({
      protocol: 'socketio',
      headers: fromNodeHeaders(socket.handshake.headers),
      token: typeof auth?.token === 'string' ? auth.token : undefined,
      // Its Engine.IO session was admitted and counted at the handshake.
      holdsSlot: gate !== undefined,
    });
    if (!result.ok) {
      const payload = result.error.toPayload();
      next(Object.assign(new Error(payload.message), { data: payload }));
      return;
    }
    admitted.set(socket, result.client);
    next();
  });
  nsp.on('connection', (socket) => {
    const admittedClient = admitted.get(socket);
    // Opened once: kept, it would hold the handshake's headers and the open closure for as long as
    // the socket lives (about 0.6 KB per idle client).
    admitted.delete(socket);
    // Unreachable: io.use above admitted every socket that connects.
    if (!admittedClient) return void socket.disconnect(true);
    const conn = socket.conn as unknown as PendingConnection;
    gate?.connected(conn);
    const client = new SocketIoClient(socket);
    client.listen(admittedClient.open(client).session);
    // On its own server the bridge is the Engine.IO connection's only namespace, and admission
    // and the session have read what they need of the first HTTP request: let it go (socket.io's
    // memory-usage advice). An application's server may still read it for its other namespaces.
    if (gate) conn.request = null;
  });
}
