/**
 * sse2ws as a library: `createBridge(options)` builds the bridge (undici upstream client, registry,
 * admission, the application's hooks) and attaches it to an application's own `http.Server`
 * (Socket.IO and `/ws`), to its Socket.IO server or namespace, or mounts its HTTP routes into a
 * Hono app. The CLI's server (`startNodeServer`) is built on it.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { type Namespace, Server as SocketIoServer } from 'socket.io';
import type { WebSocket } from 'ws';
import {
  DEFAULT_WS_PATH,
  OptionError,
  SOCKET_IO_PATH,
  BridgeError,
  createAdmission,
  createClientEntry,
  createHttpApp,
  createLocalBridge,
  listClients,
  mountAdminApi,
  publishEvent,
  silentLogger,
  toPublishRequest,
  toValidatedOptions,
  type Admission,
  type Bridge,
  type BridgeOptions,
  type ClientInfo,
  type PublishTarget,
} from '../core/index.ts';
import {
  type BridgeDeps,
  CREATE_BRIDGE_KEYS,
  CREATE_BRIDGE_UNSUPPORTED,
  checkPath,
  type CreateBridgeOptions,
} from './library-options.ts';
import { toBridgeConfig } from './config.ts';
import { createWsHeartbeat } from './heartbeat.ts';
import { attachSocketIo, serveNamespace } from './socketio.ts';
import { createNodeUpstream } from './upstream.ts';
import {
  createWsServer,
  createWsUpgrade,
  refuseUpgrade,
  type UpgradeListener,
} from './ws-upgrade.ts';

/** What `attach` set up on a server. */
export interface AttachedServer {
  /** The Socket.IO server created on it (clients are in the profile's namespace). */
  io: SocketIoServer;
  /** Remove the bridge from the server (clients are disconnected; the server keeps running). */
  detach(): Promise<void>;
}

/** A bridge ready to be attached. */
export interface SseBridge {
  /** The resolved options. */
  readonly options: BridgeOptions;
  /** The bridge itself: its sessions, registry, streams. */
  readonly core: Bridge;
  readonly admission: Admission;
  /**
   * A Hono app with `/healthz`, `/publish` and `/clients`: mount it with `app.route('/', bridge.app)`.
   * `/ws` is not a Hono route on Node: `attach` takes its upgrades before any request handler.
   */
  readonly app: Hono;
  /**
   * A Node request handler serving the bridge's HTTP routes (`/healthz`, `/publish`, `/clients`);
   * any other path goes to `next` (Express middleware style), or gets 404 without one.
   */
  handler(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Serve Socket.IO (on `socketIoPath`) and `/ws` (on `wsPath`) on an existing HTTP server. */
  attach(server: HttpServer): AttachedServer;
  /**
   * Serve the bridge on an existing Socket.IO server (its namespace of the bridge's profile, `/`
   * by default) or on one of its namespaces. That server's own options (path, CORS, heartbeats)
   * apply.
   */
  attachSocketIo(target: SocketIoServer | Namespace): void;
  /** `POST /publish` as a call: deliver an event; resolves with the sockets of this instance reached. */
  publish(event: string, data: Record<string, unknown>, to: PublishTarget): Promise<number>;
  /** `GET /clients` as a call: this instance's clients. */
  clients(filter?: { user?: string; conversation?: string }): ClientInfo[];
  /** Graceful shutdown began: new connections and new streams are refused. */
  startDraining(): void;
  /** Cancel streams, disconnect every client, release the upstream pool and its own registry. */
  close(): Promise<void>;
  /** The connected `/ws` sockets. */
  readonly webSockets: ReadonlySet<WebSocket>;
}

/** The bridge's own HTTP routes (everything else is the application's). */
const isBridgeRoute = (path: string): boolean =>
  path === '/healthz' || path === '/publish' || path === '/clients' || path.startsWith('/clients/');

/**
 * Build a bridge to attach to the application's servers. Its options go through the CLI's option
 * table and checks.
 * @throws OptionError naming the option: a bad value (`invalid_option`), a key it does not know
 * (`unknown_option`) or one it cannot honour (`unsupported_option`, with what to use instead).
 */
export function createBridge(input: CreateBridgeOptions): SseBridge {
  const options = toValidatedOptions(input as unknown as Record<string, unknown>, {
    entry: 'createBridge',
    extraKeys: CREATE_BRIDGE_KEYS,
    unsupported: CREATE_BRIDGE_UNSUPPORTED,
  });
  if (options.upstreamUrl === undefined) {
    throw new OptionError('upstreamUrl: required (the SSE backend chat messages are POSTed to)', {
      option: 'upstreamUrl',
    });
  }
  checkPath('wsPath', input.wsPath);
  checkPath('socketIoPath', input.socketIoPath);
  const { hooks, logger, registry, observer, bridgeConfig, wsPath, socketIoPath, bindHost } = input;
  return createBridgeFrom(options, {
    ...(hooks ? { hooks } : {}),
    ...(logger ? { logger } : {}),
    ...(registry ? { registry } : {}),
    ...(observer ? { observer } : {}),
    ...(bridgeConfig ? { bridgeConfig } : {}),
    ...(wsPath === undefined ? {} : { wsPath }),
    ...(socketIoPath === undefined ? {} : { socketIoPath }),
    ...(bindHost === undefined ? {} : { bindHost }),
  });
}

/**
 * `createBridge` from options already resolved and checked (startNodeServer's, whose options the
 * bridge partly leaves to it: port, logger, Redis).
 */
export function createBridgeFrom(options: BridgeOptions, deps: BridgeDeps): SseBridge {
  const { hooks, logger = silentLogger, registry, observer, bridgeConfig } = deps;
  const upstreamUrl = options.upstreamUrl as string;
  const wsPath = deps.wsPath ?? DEFAULT_WS_PATH;
  const socketIoPath = deps.socketIoPath ?? SOCKET_IO_PATH;
  const config = toBridgeConfig(options, bridgeConfig);
  const upstream = createNodeUpstream(options);
  const core = createLocalBridge({
    options,
    upstreamUrl,
    upstream: upstream.client,
    config,
    logger,
    hooks,
    ...(registry ? { registry } : {}),
    ...(observer ? { observer } : {}),
  });
  const admission = createAdmission(core, { fetch, hooks, bindHost: deps.bindHost });
  const entry = createClientEntry(core, admission);
  const heartbeat = createWsHeartbeat(options);
  const wss = createWsServer(options.maxMessageBytes, heartbeat);
  const wsUpgrade = createWsUpgrade({ entry, wss, heartbeat });
  const app = createHttpApp({ entry });
  mountAdminApi(app, { bridge: core, registry: core.registry });
  const listener = getRequestListener(app.fetch);
  const namespaces = new Set<Namespace>();
  const detachers = new Set<() => Promise<void>>();

  const attachSocketIoTarget = (target: SocketIoServer | Namespace): void => {
    const nsp = target instanceof SocketIoServer ? target.of(core.profile.namespace) : target;
    namespaces.add(nsp);
    serveNamespace(nsp, entry);
  };

  return {
    options,
    core,
    admission,
    app,
    get webSockets() {
      return heartbeat.sockets;
    },
    handler(req, res, next) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (next && !isBridgeRoute(path)) return next();
      void listener(req, res);
    },
    attach(server) {
      const before = new Set(server.listeners('upgrade'));
      const io = attachSocketIo(server, entry, socketIoPath);
      // engine.io adds its own upgrade listener, which destroys upgrades of other paths: replaced
      // by one dispatcher that leaves the application's other upgrades to their listeners.
      for (const added of server.listeners('upgrade')) {
        if (!before.has(added)) server.off('upgrade', added as UpgradeListener);
      }
      const nsp = io.of(core.profile.namespace);
      namespaces.add(nsp);
      const dispatch: UpgradeListener = (req, socket, head) => {
        const url = req.url ?? '';
        const path = url.split('?')[0];
        if (url.startsWith(socketIoPath)) {
          io.engine.handleUpgrade(req, socket, head);
        } else if (path === wsPath || server.listenerCount('upgrade') === 1) {
          // Alone on the server, the bridge answers every upgrade (a 404 for unknown paths).
          if (req.headers.upgrade?.toLowerCase() !== 'websocket') socket.destroy();
          else if (path === wsPath) wsUpgrade(req, socket, head);
          else refuseUpgrade(socket, new BridgeError('not_found'));
        }
      };
      server.on('upgrade', dispatch);
      const detach = async (): Promise<void> => {
        detachers.delete(detach);
        server.off('upgrade', dispatch);
        namespaces.delete(nsp);
        io.disconnectSockets(true);
        // io.close() would close the application's HTTP server too: only the engine goes.
        io.engine.close();
      };
      detachers.add(detach);
      return { io, detach };
    },
    attachSocketIo: attachSocketIoTarget,
    async publish(event, data, to) {
      const request = toPublishRequest({ event, data, to });
      return publishEvent({ bridge: core, registry: core.registry }, request);
    },
    clients: (filter) => listClients(core.sessions, filter),
    startDraining: () => core.lifecycle.startDraining(),
    async close() {
      core.lifecycle.startDraining();
      for (const client of heartbeat.sockets) client.terminate();
      for (const nsp of namespaces) nsp.disconnectSockets(true);
      await Promise.all([...detachers].map((detach) => detach()));
      await core.close();
      wss.close();
      await upstream.close();
    },
  };
}
