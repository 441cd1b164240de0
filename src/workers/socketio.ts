/**
 * Socket.IO on Workers: the socket.io server cannot run here, so `/socket.io/` speaks the protocol
 * itself over a WebSocketPair (src/core/transport/socketio.ts, on the official parsers). Only the
 * `websocket` transport exists; long-polling is refused with a message saying so. Admission runs
 * at the Socket.IO CONNECT (where `auth.token` arrives), so every refusal reaches the client as a
 * `connect_error` with its code, as on Node.
 */
import type { Hono } from 'hono';
import {
  SOCKET_IO_PATH,
  acceptSocketIo,
  toHeaderRecord,
  type ClientEntry,
  ERROR_TABLE,
} from '../core/index.ts';

/** Engine.IO's error codes, as its own server answers refused requests. */
const ENGINE_IO_BAD_REQUEST = 3;
const ENGINE_IO_UNSUPPORTED_PROTOCOL_VERSION = 5;

/** Engine.IO's own refusals (numeric codes of its protocol) answer as a bad request. */
const BAD_REQUEST = ERROR_TABLE.bad_request.status;

export const POLLING_REFUSED =
  'Socket.IO long-polling is not available on Cloudflare Workers: connect with transports: ["websocket"]';

/** Serve Socket.IO (websocket transport) at `/socket.io/`. */
export function mountSocketIo(app: Hono, entry: ClientEntry): void {
  const { options, profile } = entry.opener;
  app.all(`${SOCKET_IO_PATH}*`, (c) => {
    if (c.req.query('EIO') !== '4') {
      const message = 'Unsupported protocol version: use socket.io-client 4.x (Engine.IO 4)';
      return c.json({ code: ENGINE_IO_UNSUPPORTED_PROTOCOL_VERSION, message }, BAD_REQUEST);
    }
    const isUpgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    if (c.req.query('transport') !== 'websocket' || !isUpgrade) {
      return c.json({ code: ENGINE_IO_BAD_REQUEST, message: POLLING_REFUSED }, BAD_REQUEST);
    }
    const headers = toHeaderRecord(c.req.raw.headers);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    server.accept();
    const listener = acceptSocketIo(
      {
        send: (text) => {
          if (server.readyState === WebSocket.READY_STATE_OPEN) server.send(text);
        },
        close: (code, reason) => server.close(code, reason),
      },
      {
        pingIntervalMs: options.heartbeatIntervalMs,
        pingTimeoutMs: options.heartbeatTimeoutMs,
        maxPayloadBytes: options.maxMessageBytes,
        namespace: profile.namespace,
        connectTimeoutMs: options.handshakeTimeoutMs,
      },
      async (auth, connection) => {
        const result = await entry.enter({
          protocol: 'socketio',
          headers,
          token: typeof auth.token === 'string' ? auth.token : undefined,
          url: c.req.url,
        });
        if (!result.ok) throw result.error;
        const port = result.client.open(connection);
        const { session } = port;
        return {
          connection: session.connection,
          receive: (event, data, answer) => port.receive(event, data, answer),
          close() {
            session.close();
            // The session's leave/unsubscribe calls must finish after this request context ends.
            c.executionCtx.waitUntil(session.settled());
          },
        };
      },
    );
    server.addEventListener('message', (event) => {
      if (typeof event.data === 'string') listener.onText(event.data);
      else listener.onBinary();
    });
    server.addEventListener('close', () => {
      listener.onClose();
      // Answer the peer's close frame: workerd does not always do it, and a close left unanswered
      // keeps the request open until the runtime cancels it as hung.
      try {
        server.close();
      } catch {
        // Already closed.
      }
    });
    server.addEventListener('error', () => listener.onClose());
    return new Response(null, { status: 101, webSocket: client });
  });
}
