/**
 * Socket.IO v4 on the bridge's HTTP server: chat events in, chat_response out, acks both ways.
 * Socket.IO's own ping/pong carries the heartbeat.
 */
import type { Server as HttpServer, IncomingHttpHeaders } from 'node:http';
import { Server as SocketIoServer, type Socket } from 'socket.io';
import type { Admission } from '../core/admission.ts';
import type { Bridge } from '../core/bridge.ts';
import type { Handshake } from '../core/handshake.ts';
import type { Reply } from '../core/session.ts';
import { SOCKET_IO_PATH } from '../core/socketio-protocol.ts';

/** Flatten Node's header record (only set-cookie is ever an array). */
export function toHeaderRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

type Ack = (payload: unknown) => void;

/** The parts of an engine.io connection that hold unsent data. */
interface EngineConnection {
  writeBuffer: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

/**
 * Bytes a Socket.IO client has not taken yet: packets engine.io still queues (long-polling waits
 * for the next GET) plus what the WebSocket has not written to the TCP socket.
 */
function toBufferedBytes(conn: EngineConnection): number {
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer) {
    if (typeof packet.data === 'string') bytes += packet.data.length;
  }
  return bytes;
}

/**
 * Attach a Socket.IO server for the bridge to `server`. Every connect (long-polling or WebSocket)
 * goes through `admission`; a refusal reaches the client as `connect_error` with
 * `data: {code, message}`.
 */
export function attachSocketIo(
  server: HttpServer,
  bridge: Bridge,
  admission: Admission,
): SocketIoServer {
  const { options } = bridge;
  const allowed = options.allowedOrigins;
  const io = new SocketIoServer(server, {
    path: SOCKET_IO_PATH,
    pingInterval: options.heartbeatIntervalMs,
    pingTimeout: options.heartbeatTimeoutMs,
    maxHttpBufferSize: options.maxMessageBytes,
    // ~16x memory per connection for little gain on short JSON frames.
    perMessageDeflate: false,
    // Long-polling from an allowed other origin needs CORS (with cookies); the default policy is
    // same-origin only, which needs none.
    ...(allowed !== undefined
      ? { cors: { origin: allowed.includes('*') ? true : allowed, credentials: true } }
      : {}),
  });
  const admitted = new WeakMap<Socket, Handshake>();
  io.use(async (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const result = await admission.admit({
      protocol: 'socketio',
      headers: toHeaderRecord(socket.handshake.headers),
      token: typeof auth?.token === 'string' ? auth.token : undefined,
    });
    if (!result.ok) {
      const payload = result.error.toPayload();
      next(Object.assign(new Error(payload.message), { data: payload }));
      return;
    }
    admitted.set(socket, result.handshake);
    next();
  });
  io.on('connection', (socket) => {
    const handshake = admitted.get(socket);
    // Unreachable: io.use above admitted every socket that connects.
    if (!handshake) return void socket.disconnect(true);
    const session = bridge.openSession(
      {
        protocol: 'socketio',
        send: (event, data) => (data === undefined ? socket.emit(event) : socket.emit(event, data)),
        bufferedBytes: () => toBufferedBytes(socket.conn as unknown as EngineConnection),
        close: () => socket.disconnect(true),
      },
      handshake,
    );
    socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (args.pop() as Ack) : undefined;
      let reply: Reply | undefined;
      if (ack) {
        let answered = false;
        reply = (outcome) => {
          if (answered) return;
          answered = true;
          if ('error' in outcome) {
            socket.emit('error', outcome.error);
            ack({ error: outcome.error });
          } else {
            ack(outcome.data);
          }
        };
      }
      session.receive(event, args[0], reply);
    });
    socket.on('disconnect', () => session.close());
  });
  return io;
}
