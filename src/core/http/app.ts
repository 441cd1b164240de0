/**
 * The HTTP surface both runtimes share: `/healthz` and the plain WebSocket endpoint `/ws`, as a Hono
 * app. Each runtime passes its own `upgradeWebSocket` (hono/cloudflare-workers, @hono/node-server).
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import type { ClientEntry } from './entry.ts';
import type { Session } from '../session/session.ts';
import type { AdmittedClient } from '../transport/client-port.ts';
import { WsClient, type WsSocketOps } from '../transport/ws.ts';

/** Socket.IO's default path; socket.io-client uses it unless told otherwise. */
export const SOCKET_IO_PATH = '/socket.io/';

/**
 * Runtime hooks around a `/ws` connection on this route (Workers waits for a closed session's
 * leave calls). Node takes `/ws` upgrades outside Hono (src/node/ws-upgrade.ts).
 */
export interface WsHooks {
  onOpen?(session: Session, c: Context): void;
  onClose?(session: Session, c: Context): void;
}

/**
 * A runtime's `upgradeWebSocket` (hono/cloudflare-workers, @hono/node-server), typed loosely on
 * purpose: hono/ws's own types need the DOM lib's generic `MessageEvent`, which Workers' types
 * lack, and this file's declarations ship in the package's Workers types (a Workers project must
 * type-check without skipLibCheck).
 */
export interface UpgradeWebSocketHelper {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  (createEvents: (c: Context) => any): MiddlewareHandler;
}

/** What the shared app is built from. */
export interface HttpAppDeps {
  /** Admits each `/ws` upgrade and opens its session. */
  entry: ClientEntry;
  /**
   * Serves `/ws` through Hono (Workers). Without it the app has no `/ws` route: Node takes `/ws`
   * upgrades before they reach Hono (src/node/ws-upgrade.ts), through the same entry.
   */
  upgradeWebSocket?: UpgradeWebSocketHelper;
  wsHooks?: WsHooks;
  /** Where plain WebSocket clients connect. @default "/ws" */
  wsPath?: string;
  /** The peer address of a request, where the runtime knows it (`GET /clients`). */
  remoteAddress?: (c: Context) => string | undefined;
}

/** The plain WebSocket endpoint's default path. */
export const DEFAULT_WS_PATH = '/ws';

/** Lower-case header record of a Web Request. */
export function toHeaderRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/** The shared Hono app. Runtimes mount more routes (Socket.IO, the playground) beside it. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (deps.upgradeWebSocket) mountWsRoute(app, deps, deps.upgradeWebSocket);
  return app;
}

/** `/ws` through the runtime's Hono WebSocket helper. */
function mountWsRoute(app: Hono, deps: HttpAppDeps, helper: UpgradeWebSocketHelper): void {
  const { entry, wsHooks } = deps;
  const upgradeWebSocket = helper as UpgradeWebSocket<unknown>;
  const wsPath = deps.wsPath ?? DEFAULT_WS_PATH;
  /** The admitted client of each `/ws` upgrade request, from the admission middleware. */
  const admitted = new WeakMap<Request, AdmittedClient>();
  const ops: WsSocketOps<WSContext<unknown>> = {
    isOpen: (ws) => ws.readyState === 1,
    send: (ws, text) => ws.send(text),
    close: (ws, code, reason) => ws.close(code, reason),
    // Read where the runtime's socket has it; Cloudflare's WebSocket has none (no backpressure).
    bufferedBytes(ws) {
      const raw = ws.raw as { bufferedAmount?: unknown } | undefined;
      return typeof raw?.bufferedAmount === 'number' ? raw.bufferedAmount : 0;
    },
  };

  app.get(
    wsPath,
    async (c, next) => {
      // Plain GETs fall through to the upgrade helper's own answer; only upgrades are admitted.
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return next();
      const result = await entry.enter({
        protocol: 'ws',
        headers: toHeaderRecord(c.req.raw.headers),
        token: c.req.query('token'),
        url: c.req.url,
      });
      if (!result.ok) return c.json(result.error.toPayload(), result.status);
      admitted.set(c.req.raw, result.client);
      return next();
    },
    upgradeWebSocket((c) => {
      const client = admitted.get(c.req.raw);
      // Not admitted means not an upgrade: the helper answers it without using any event.
      if (!client) return {};
      let wsClient: WsClient<WSContext<unknown>> | undefined;
      // Some adapters (Cloudflare's) never call onOpen: the socket is open once the handler runs.
      const ensureClient = (ws: WSContext<unknown>): WsClient<WSContext<unknown>> => {
        if (wsClient) return wsClient;
        wsClient = new WsClient(client, ops, ws, deps.remoteAddress?.(c));
        wsHooks?.onOpen?.(wsClient.session, c);
        return wsClient;
      };
      return {
        onOpen(_event, ws) {
          ensureClient(ws);
        },
        onMessage(event, ws) {
          ensureClient(ws).receive(event.data);
        },
        onClose(_event, ws) {
          // Answer the peer's close frame: workerd does not always, and the client then waits for
          // its close timeout (1006). Node's ws has answered already (CLOSED, not CLOSING).
          if (ws.readyState === 2) ws.close();
          if (!wsClient) return;
          wsClient.session.close();
          wsHooks?.onClose?.(wsClient.session, c);
        },
      };
    }),
  );
}
