/**
 * Socket.IO on Workers: the socket.io server cannot run here, so `/socket.io/` speaks the protocol
 * itself over a WebSocketPair (src/core/socketio-protocol.ts, on the official parsers). Only the
 * `websocket` transport exists; long-polling is refused with a message saying so.
 */
import type { Hono } from 'hono';
import type { SessionOpener } from '../core/bridge.ts';
import { toHeaderRecord } from '../core/http-app.ts';
import type { Session } from '../core/session.ts';
import { acceptSocketIo, SOCKET_IO_PATH } from '../core/socketio-protocol.ts';

/** Engine.IO's error codes, as its own server answers refused requests. */
const ENGINE_IO_BAD_REQUEST = 3;
const ENGINE_IO_UNSUPPORTED_PROTOCOL_VERSION = 5;

export const POLLING_REFUSED =
  'Socket.IO long-polling is not available on Cloudflare Workers: connect with transports: ["websocket"]';

/** Serve Socket.IO (websocket transport) at `/socket.io/`. */
export function mountSocketIo(app: Hono, opener: SessionOpener): void {
  const { options } = opener;
  app.all(`${SOCKET_IO_PATH}*`, (c) => {
    if (c.req.query('EIO') !== '4') {
      const message = 'Unsupported protocol version: use socket.io-client 4.x (Engine.IO 4)';
      return c.json({ code: ENGINE_IO_UNSUPPORTED_PROTOCOL_VERSION, message }, 400);
    }
    const isUpgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    if (c.req.query('transport') !== 'websocket' || !isUpgrade) {
      return c.json({ code: ENGINE_IO_BAD_REQUEST, message: POLLING_REFUSED }, 400);
    }
    const headers = toHeaderRecord(c.req.raw.headers);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    server.accept();
    let session: Session | undefined;
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
      },
      (auth, connection) => {
        const token = typeof auth.token === 'string' ? auth.token : undefined;
        session = opener.openSession(connection, { headers, token });
        return session;
      },
    );
    server.addEventListener('message', (event) => {
      if (typeof event.data === 'string') listener.onText(event.data);
      else listener.onBinary();
    });
    const onGone = (): void => {
      listener.onClose();
      // The session's leave/unsubscribe calls must finish after this request context ends.
      if (session) c.executionCtx.waitUntil(session.settled());
    };
    server.addEventListener('close', onGone);
    server.addEventListener('error', onGone);
    return new Response(null, { status: 101, webSocket: client });
  });
}
