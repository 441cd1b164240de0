/**
 * The Node sidecar: the library's bridge attached to one HTTP server of its own, which also carries
 * `/readyz`, `/metrics` and the playground (`/`); Redis when configured, and the graceful drain
 * (drain.ts) run on SIGTERM.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as SocketIoServer } from 'socket.io';
import { createAdaptorServer } from '@hono/node-server';
import { Agent, fetch as undiciFetch } from 'undici';
import {
  DEFAULT_READINESS_TIMEOUT_MS,
  OptionError,
  createReadiness,
  createUpstreamCheck,
  silentLogger,
  toExposureWarning,
  toReadinessResponse,
  toValidatedOptions,
  type Admission,
  type Bridge,
  type BridgeConfig,
  type BridgeHooks,
  type BridgeObserver,
  type BridgeOptions,
  type Logger,
  type ProbeFetch,
  type Readiness,
  type ReadinessCheck,
  type Registry,
} from '../core/index.ts';
import { createClientBundle } from './client-bundle.ts';
import { createGracefulDrain } from './drain.ts';
import { toBridgeConfig } from './config.ts';
import { createBridgeFrom } from './library.ts';
import { createNodeLogger, toResolvedLogFormat } from './logger.ts';
import { createNodeMetrics, type NodeMetrics, toFanOutObserver } from './metrics.ts';
import { mountPlayground, servesPlayground } from './playground.ts';
import { toLoggedRedisUrl } from './redis/connection.ts';
import { createRedisRegistry } from './redis/registry.ts';

/** A listening bridge. */
export interface NodeBridgeServer {
  bridge: Bridge;
  /** Admission of new clients; `startDraining()` refuses new ones (503 / server_shutdown). */
  admission: Admission;
  server: HttpServer;
  /** The Socket.IO server (its `engine` holds the Engine.IO sessions). */
  io: SocketIoServer;
  /** `http://host:port` the bridge listens on. */
  url: string;
  port: number;
  /** What `GET /metrics` renders. */
  metrics: NodeMetrics;
  /** What `GET /readyz` answers. */
  readiness: Readiness;
  /**
   * Graceful shutdown: `/readyz` turns 503 and new connections are refused at once, clients get
   * `server_shutdown`, running streams get `drainTimeoutMs` to finish (then are cancelled), and
   * every socket closes with 1001 before the server stops.
   */
  drain(): Promise<void>;
  /** Cancel running streams, close every client and stop listening, now. */
  close(): Promise<void>;
}

/** What a Node bridge is built from besides its options. */
export interface NodeServerDeps {
  /** The SSE backend; `options.upstreamUrl` unless given (one of them is required). */
  upstreamUrl?: string;
  /** The config file's content; read from `options.config` unless given. */
  config?: BridgeConfig | undefined;
  /** Structured logger; unless given, pino JSON lines on stdout at `options.logLevel`. */
  logger?: Logger;
  /** Hooks called beside the ones behind `/metrics`. */
  observer?: BridgeObserver;
  /** Checks `/readyz` runs besides the upstream probe (e.g. that the shared store answers). */
  readinessChecks?: readonly ReadinessCheck[];
  /** How long a `/readyz` result is reused. @default DEFAULT_READINESS_CACHE_MS (5000) */
  readinessCacheMs?: number;
  /** The application's hooks. */
  hooks?: BridgeHooks;
  /**
   * Streams, conversations and topics; in-memory unless given (a shared one spans instances). A
   * given registry stays open when the server closes: it is the caller's to close.
   */
  registry?: Registry;
  /** The upstream is the embedded demo backend (the playground is served by default then). */
  demo?: boolean;
}

/**
 * Start the bridge on `options.host:options.port` (port 0 picks a free one). Options not given take
 * the CLI's defaults; given ones go through the CLI's option table and checks.
 * @throws OptionError naming the option: a bad value (`invalid_option`) or a key it does not know
 * (`unknown_option`).
 */
export async function startNodeServer(
  input: Partial<BridgeOptions>,
  deps: NodeServerDeps,
): Promise<NodeBridgeServer> {
  const upstreamUrl = deps.upstreamUrl ?? input.upstreamUrl;
  if (upstreamUrl === undefined) {
    throw new OptionError(
      'upstreamUrl: required (startNodeServer starts no demo backend; the sse2ws CLI does)',
      { option: 'upstreamUrl' },
    );
  }
  const options = toValidatedOptions(
    { ...(input as Record<string, unknown>), upstreamUrl },
    { entry: 'startNodeServer' },
  );
  const logger =
    deps.logger ??
    (options.logLevel === 'silent'
      ? silentLogger
      : createNodeLogger(
          options.logLevel,
          toResolvedLogFormat(options.logFormat, process.stdout.isTTY === true),
        ));
  const config = toBridgeConfig(options, deps.config);
  const metrics = createNodeMetrics();
  const redis =
    options.redisUrl === undefined || deps.registry !== undefined
      ? undefined
      : createRedisRegistry({
          url: options.redisUrl,
          prefix: options.redisPrefix,
          leaseTtlMs: options.redisLeaseTtlMs,
          resumeBufferBytes: options.resumeBufferBytes,
          resumeRetentionMs: options.resumeRetentionMs,
          logger,
        });
  if (redis) {
    // Unreachable at startup is not fatal: the bridge starts not ready and reconnects.
    await redis.connected();
    logger.info(
      { redis: toLoggedRedisUrl(options.redisUrl as string), instance: redis.instanceId },
      'sharing streams and conversations through redis',
    );
  }
  const registry = deps.registry ?? redis;
  // The CLI's server is the library's bridge attached to a server of its own.
  let library: ReturnType<typeof createBridgeFrom>;
  try {
    library = createBridgeFrom(options, {
      ...(config ? { bridgeConfig: config } : {}),
      bindHost: options.host,
      logger,
      observer: deps.observer
        ? toFanOutObserver(metrics.observer, deps.observer)
        : metrics.observer,
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
      ...(registry ? { registry } : {}),
    });
  } catch (error) {
    // A bad profile: the Redis connections must not keep the failed start's process alive.
    await redis?.close();
    throw error;
  }
  const { core: bridge, admission, app } = library;
  const exposure = toExposureWarning(options);
  if (exposure !== undefined) logger.warn({ host: options.host }, exposure);
  // Its own small pool: readiness probes must not queue behind (or hold) streaming requests.
  const probeAgent = new Agent({
    connect: { timeout: Math.min(options.connectTimeoutMs, DEFAULT_READINESS_TIMEOUT_MS) },
    connections: 1,
  });
  const probeFetch: ProbeFetch = (url, init) =>
    undiciFetch(url, { ...init, dispatcher: probeAgent });
  const readiness = createReadiness({
    lifecycle: bridge.lifecycle,
    checks: [
      createUpstreamCheck(options.upstreamUrl as string, probeFetch),
      ...(redis ? [redis.readiness] : []),
      ...(deps.readinessChecks ?? []),
    ],
    ...(deps.readinessCacheMs === undefined ? {} : { cacheMs: deps.readinessCacheMs }),
  });

  app.get('/readyz', async () => toReadinessResponse(await readiness.check()));
  app.get('/metrics', async (c) =>
    c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
  );
  if (servesPlayground(options, deps.demo === true))
    mountPlayground(app, { clientBundle: createClientBundle(), logger });
  const server = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
  const { io } = library.attach(server);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Port taken, say: let go of the upstream pool and the Redis connections before reporting it.
    await library.close();
    await redis?.close();
    await probeAgent.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // One lifecycle: admission, the bridge and /readyz all see the drain at once.
      library.startDraining();
      await library.close();
      // The Redis registry is this server's; an injected one is its owner's to close.
      await redis?.close();
      // io.close() also closes the HTTP server, which waits for idle keep-alive sockets.
      const closed = new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await probeAgent.close();
    })();
    return closing;
  };

  const drain = createGracefulDrain({
    bridge,
    logger,
    drainTimeoutMs: options.drainTimeoutMs,
    webSockets: library.webSockets,
    namespace: io.of(bridge.profile.namespace),
    startDraining: () => library.startDraining(),
    close,
  });

  return {
    bridge,
    admission,
    server,
    io,
    url: `http://${hostForUrl}:${port}`,
    port,
    metrics,
    readiness,
    drain,
    close,
  };
}
