/**
 * The Node sidecar: one HTTP server carrying the shared Hono app (`/healthz`, `/ws`) and Socket.IO,
 * with undici for the upstream.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer, upgradeWebSocket, type WebSocketServerLike } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { type Bridge, createBridge } from '../core/bridge.ts';
import { createHttpApp } from '../core/http-app.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import type { BridgeObserver } from '../core/observer.ts';
import type { BridgeOptions } from '../core/options.ts';
import { createWsHeartbeat } from './heartbeat.ts';
import { SOCKET_IO_PATH } from '../core/socketio-protocol.ts';
import { attachSocketIo } from './socketio.ts';
import { createNodeUpstream } from './upstream.ts';

/** A listening bridge. */
export interface NodeBridgeServer {
  bridge: Bridge;
  server: HttpServer;
  /** `http://host:port` the bridge listens on. */
  url: string;
  port: number;
  /** Cancel running streams, close every client and stop listening. */
  close(): Promise<void>;
}

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Start the bridge on `options.host:options.port` (port 0 picks a free one). */
export async function startNodeServer(
  options: BridgeOptions,
  deps: { upstreamUrl: string; logger?: Logger; observer?: BridgeObserver },
): Promise<NodeBridgeServer> {
  const logger = deps.logger ?? silentLogger;
  const upstream = createNodeUpstream(options);
  const bridge = createBridge({
    options,
    upstreamUrl: deps.upstreamUrl,
    upstream: upstream.client,
    logger,
    ...(deps.observer ? { observer: deps.observer } : {}),
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
  });
  const app = createHttpApp({
    bridge,
    upgradeWebSocket,
    wsHooks: createWsHeartbeat(options),
  });
  const server = createAdaptorServer({
    fetch: app.fetch,
    // ws types `noServer` as optional; Hono's structural type wants it present (it is).
    websocket: { server: wss as unknown as WebSocketServerLike },
  }) as HttpServer;

  // One upgrade dispatcher: Socket.IO's path to engine.io, everything else to Hono. With a single
  // listener, Hono answers refused upgrades with their real status instead of leaving them open.
  const honoUpgrade = server.listeners('upgrade')[0] as UpgradeListener;
  server.removeAllListeners('upgrade');
  const io = attachSocketIo(server, bridge);
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').startsWith(SOCKET_IO_PATH)) {
      io.engine.handleUpgrade(req, socket, head);
    } else if (req.headers.upgrade?.toLowerCase() === 'websocket') {
      honoUpgrade(req, socket, head);
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const client of wss.clients) client.terminate();
      io.disconnectSockets(true);
      await bridge.close();
      // io.close() also closes the HTTP server, which waits for idle keep-alive sockets.
      const closed = new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await upstream.close();
    })();
    return closing;
  };

  return { bridge, server, url: `http://${hostForUrl}:${port}`, port, close };
}
