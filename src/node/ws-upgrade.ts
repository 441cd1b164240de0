/**
 * `/ws` on Node, the one path its upgrades take: straight to `ws`, through the bridge's entry
 * (admission, then one {@link WsClient} per socket). Hono's WebSocket adapter would keep each
 * upgrade's Context, Request, URL and a dozen closures for the life of the connection (about 8 KB
 * per idle client); here a connection holds its ws socket, its WsClient and one Map entry.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
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
  wss: WebSocketServer;
  heartbeat: WsHeartbeat;
}): UpgradeListener {
  const { entry, wss, heartbeat } = deps;
  const { logger } = entry.opener;
  const clients = new Map<WebSocket, WsClient<WebSocket>>();
  // Shared listeners (`this` is the socket): no closures per connection.
  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    clients.get(this)?.receive(isBinary ? data : data.toString());
  }
  function onClose(this: WebSocket): void {
    heartbeat.untrack(this);
    clients.get(this)?.session.close();
    clients.delete(this);
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
      let client: WsClient<WebSocket>;
      try {
        client = new WsClient(result.client, NODE_WS_OPS, ws, req.socket.remoteAddress);
      } catch (error) {
        // The 101 is out: an HTTP answer is no longer possible.
        logger.error({ err: String(error) }, '/ws session failed to open');
        ws.close(ERROR_TABLE.internal_error.close, 'internal error');
        return;
      }
      clients.set(ws, client);
      ws.on('message', onMessage);
      ws.once('close', onClose);
      heartbeat.track(ws);
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
