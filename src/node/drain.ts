/**
 * The graceful drain of a Node bridge server: refuse new clients, tell connected ones
 * `server_shutdown`, give running streams `drainTimeoutMs`, then close every socket with 1001.
 */
import type { Namespace } from 'socket.io';
import type { WebSocket } from 'ws';
import {
  BridgeError,
  ERROR_TABLE,
  withTimestamp,
  type Bridge,
  type Logger,
} from '../core/index.ts';

/**
 * After the close frames went out, how long peers get to answer them before their sockets are
 * cut: one round trip is enough for a live peer, and it keeps the whole shutdown well inside a
 * typical kill grace period (drain timeout + a few seconds).
 */
export const DEFAULT_CLOSE_WAIT_MS = 2_000;
/** How often a drain that hit its timeout re-cancels (a stream may start while it cancels). */
export const DEFAULT_CANCEL_RETRY_MS = 100;

/** Resolves true if `p` settles within `ms`, false otherwise. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([
    p.then(
      () => true as const,
      () => true as const,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return settled;
}

/** What a drain works on. */
export interface DrainDeps {
  bridge: Bridge;
  logger: Logger;
  drainTimeoutMs: number;
  /** The connected `/ws` sockets. */
  webSockets: ReadonlySet<WebSocket>;
  /** The Socket.IO namespace the clients are in (the profile's). */
  namespace: Namespace;
  /** Refuse new connections and streams (the bridge's one lifecycle). */
  startDraining(): void;
  /** Close the server once the clients are gone. */
  close(): Promise<void>;
}

/** The server's `drain()`: runs once, later calls get the same promise. */
export function createGracefulDrain(deps: DrainDeps): () => Promise<void> {
  const { bridge, logger, drainTimeoutMs, webSockets, namespace } = deps;

  /** Close every client socket with 1001 and wait (bounded) for them to go. */
  const closeClients = async (): Promise<void> => {
    const gone: Array<Promise<unknown>> = [];
    for (const client of webSockets) {
      gone.push(new Promise((resolve) => client.once('close', resolve)));
      client.close(ERROR_TABLE.server_shutdown.close, 'server shutting down');
    }
    for (const socket of namespace.sockets.values()) {
      gone.push(new Promise((resolve) => socket.conn.once('close', resolve)));
    }
    logger.info(
      {
        ws: webSockets.size,
        socketio: namespace.sockets.size,
        closeCode: ERROR_TABLE.server_shutdown.close,
      },
      'drain: closing client connections',
    );
    namespace.disconnectSockets(true);
    if (!(await settlesWithin(Promise.all(gone), DEFAULT_CLOSE_WAIT_MS))) {
      logger.warn(
        { waitedMs: DEFAULT_CLOSE_WAIT_MS },
        'drain: cutting connections that did not close',
      );
    }
  };

  let drainingDone: Promise<void> | undefined;
  return () => {
    drainingDone ??= (async () => {
      // One lifecycle: admission, the bridge and /readyz all see the drain at once.
      deps.startDraining();
      logger.info(
        { clients: bridge.sessions.size, streams: bridge.runningStreams, drainTimeoutMs },
        'drain: /readyz answers 503 and new connections are refused',
      );
      const notice = withTimestamp(new BridgeError('server_shutdown').toPayload());
      for (const session of bridge.sessions) session.connection.send('server_shutdown', notice);
      logger.info({ clients: bridge.sessions.size }, 'drain: sent server_shutdown to every client');
      if (await settlesWithin(bridge.idle(), drainTimeoutMs)) {
        logger.info({}, 'drain: every stream finished');
      } else {
        logger.warn(
          { streams: bridge.runningStreams, drainTimeoutMs },
          'drain: timeout, cancelling the remaining streams',
        );
        do bridge.cancelAll();
        while (!(await settlesWithin(bridge.idle(), DEFAULT_CANCEL_RETRY_MS)));
      }
      // Frames handed to the sockets go out before the close frames that follow.
      await new Promise((resolve) => setImmediate(resolve));
      await closeClients();
      await deps.close();
      logger.info({}, 'drain: server closed');
    })();
    return drainingDone;
  };
}
