/**
 * `/ws` on Node, the one path its upgrades take: straight to `ws`, through the bridge's entry
 * (admission, then one {@link WsClient} per socket). Hono's WebSocket adapter would keep each
 * upgrade's Context, Request, URL and a dozen closures for the life of the connection (about 8 KB
 * per idle client); here a connection holds its ws socket (which carries its WsClient) and one
 * entry in the heartbeat's set.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Server as WsServer, WebSocket, WebSocketServer } from 'ws';
import {
  BridgeError,
  ERROR_TABLE,
  WsClient,
  type ClientEntry,
  type WsSocketOps,
} from '../core/index.ts';
import { batchedBytes, corkForTick, tcpSocketOf } from './cork.ts';
import { fromNodeHeaders } from './headers.ts';
import type { WsHeartbeat } from './heartbeat.ts';

/** Node's `upgrade` event listener. */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * ws's socket with its bridge client on it: one field of the socket instead of an index entry per
 * connection (ws makes its sockets from this class, see {@link createWsServer}).
 */
export class BridgeWebSocket extends WebSocket {
  /** Set once the client's session is open. */
  client: WsClient<BridgeWebSocket> | undefined = undefined;
}

/**
 * The ws server of `/ws` (upgrades come through {@link createWsUpgrade}). It keeps no set of its
 * own: the heartbeat's is the one (ws's tracking adds a closure and a listener per connection).
 */
export function createWsServer(
  maxPayload: number,
  heartbeat: WsHeartbeat,
): WsServer<typeof BridgeWebSocket> {
  /**
   * Tells the heartbeat of each pong itself: a 'pong' listener would be the socket's fourth event
   * name (with error, message and close), which doubles its listener table (96 B per connection).
   */
  class HeartbeatWebSocket extends BridgeWebSocket {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'pong') heartbeat.answered(this);
      return super.emit(event, ...args);
    }
  }
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    WebSocket: HeartbeatWebSocket,
    maxPayload,
    perMessageDeflate: false,
  });
}

/** How every `/ws` client of a bridge sends: batched per tick (cork.ts), backpressure from ws. */
export const NODE_WS_OPS: WsSocketOps<WebSocket> = {
  isOpen: (ws) => ws.readyState === 1,
  send(ws, text) {
    // One socket write per tick instead of one per message (see cork.ts).
    corkForTick(tcpSocketOf(ws));
    ws.send(text);
  },
  close: (ws, code, reason) => ws.close(code, reason),
  bufferedBytes: (ws) => ws.bufferedAmount - batchedBytes(tcpSocketOf(ws)),
  // Node caches the address on the TCP socket once read (an object and a string): only on demand.
  remoteAddress: (ws) => tcpSocketOf(ws)?.remoteAddress,
};

/** Answer an upgrade with a plain HTTP response (a refusal, its status from the error table). */
export function refuseUpgrade(socket: Duplex, error: BridgeError): void {
  if (socket.destroyed) return;
  const { status } = error;
  const text = JSON.stringify(error.toPayload());
  // Upgrade sockets are half-open with no timeout: once the answer is out, let go (as ws does).
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

/** The listener for upgrades to the `/ws` path. */
export function createWsUpgrade(deps: {
  entry: ClientEntry;
  wss: WsServer<typeof BridgeWebSocket>;
  heartbeat: WsHeartbeat;
}): UpgradeListener {
  const { entry, wss, heartbeat } = deps;
  const { logger } = entry.opener;
  // Shared listeners (`this` is the socket, which `wss` made a BridgeWebSocket): no closures
  // per connection.
  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    (this as BridgeWebSocket).client?.receive(isBinary ? data : data.toString());
  }
  // ws emits 'close' once: `on`, as `once` would wrap the listener in 3 objects per connection.
  function onClose(this: WebSocket): void {
    heartbeat.untrack(this);
    (this as BridgeWebSocket).client?.session.close();
  }
  // ws emits protocol errors (bad frames, too large) and then closes the socket itself; without
  // a listener the error would be thrown. Node hands over an upgrade's TCP socket without its own
  // error listener too: a client that resets during admission or after a refusal must not throw.
  const onError = (): void => {};

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    } catch {
      refuseUpgrade(socket, new BridgeError('bad_request', 'malformed request URL or Host'));
      return;
    }
    const result = await entry.enter({
      protocol: 'ws',
      headers: fromNodeHeaders(req.headers),
      token: url.searchParams.get('token') ?? undefined,
      url: url.href,
    });
    if (!result.ok) return refuseUpgrade(socket, result.error);
    // The client gave up while its credentials were checked.
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', onError);
      // One of the bridge's webSockets from the 101 until it closes, whether or not its session
      // opens (as with ws's own tracking): a drain or close() reaches it.
      ws.on('close', onClose);
      heartbeat.track(ws);
      try {
        ws.client = new WsClient<BridgeWebSocket>(result.client, NODE_WS_OPS, ws);
      } catch (error) {
        // The 101 is out: an HTTP answer is no longer possible.
        logger.error({ err: String(error) }, '/ws session failed to open');
        ws.close(ERROR_TABLE.internal_error.close, 'internal error');
        return;
      }
      ws.on('message', onMessage);
    });
  };

  return (req, socket, head) => {
    socket.on('error', onError);
    accept(req, socket, head).catch((error: unknown) => {
      logger.error({ err: String(error) }, '/ws upgrade failed');
      refuseUpgrade(socket, new BridgeError('internal_error', 'internal error'));
    });
  };
}
