/**
 * The bridge as one process runs it: a registry, a local stream host, and client sessions.
 * Runtime pieces (upstream client, logger, registry) are injected by the adapters.
 */
import { createClientTopics } from './client-topics.ts';
import { createConversationAccess } from './conversation-access.ts';
import { createJwtCheck } from './credentials.ts';
import { runEventStream } from './event-stream.ts';
import { type Handshake, toForwardedHeaders } from './handshake.ts';
import type { BridgeHooks } from './hooks.ts';
import { createLocalStreamHost } from './local-stream-host.ts';
import { type Logger, silentLogger } from './logger.ts';
import { createMemoryRegistry } from './memory-registry.ts';
import { type BridgeObserver, silentObserver } from './observer.ts';
import type { BridgeOptions } from './options.ts';
import {
  createProfiledSession,
  isIdentityProfile,
  type Profile,
  resolveProfile,
} from './profiles/index.ts';
import type { Registry } from './registry.ts';
import type { BridgeConfig } from './request-shape.ts';
import { type ClientConnection, Session, type SessionHost } from './session.ts';
import type { UpstreamClient } from './upstream.ts';

/** What transports need to open client sessions. */
export interface SessionOpener {
  readonly options: BridgeOptions;
  readonly logger: Logger;
  readonly observer: BridgeObserver;
  /** The client vocabulary sessions speak (the `profile` option). */
  readonly profile: Profile;
  /** Sessions whose client is still connected. */
  readonly sessions: ReadonlySet<Session>;
  /** A new client connected (its handshake already admitted). */
  openSession(connection: ClientConnection, handshake: Handshake): Session;
  /** Stop listening to the instance's publish topics (when the bridge closes). */
  releaseTopics?(): Promise<void>;
}

/** What sessions get besides the protocol, where the runtime supports it. */
export interface SessionFeatures {
  /**
   * Subscribe every client to its own topic, the broadcast topic and its user's topic (`POST
   * /publish`, presence of a user's devices). Off on Workers, whose registry knows only stream and
   * conversation topics. @default false
   */
  clientTopics?: boolean;
  /** Open the backend's events stream (`--events-url`) for every client through this client. */
  events?: { url: string; client: UpstreamClient };
}

/**
 * Open sessions on any host (local or remote), keeping the set of connected ones. Sessions speak
 * `profile` (default: the built-in the `profile` option names).
 */
export function createSessionOpener(
  host: SessionHost,
  logger: Logger,
  profile: Profile = resolveProfile(host.options.profile),
  features: SessionFeatures = {},
): SessionOpener {
  const sessions = new Set<Session>();
  const { options, observer } = host;
  const identity = isIdentityProfile(profile);
  const clientTopics = features.clientTopics
    ? createClientTopics(host.registry, logger)
    : undefined;
  return {
    options,
    logger,
    observer,
    profile,
    sessions,
    releaseTopics: async () => clientTopics?.close(),
    openSession(connection, handshake) {
      const forwarded = toForwardedHeaders(handshake, options.forwardHeaders);
      const session = identity
        ? new Session(host, connection, forwarded, handshake.userId)
        : createProfiledSession(host, connection, profile, forwarded, handshake.userId);
      session.data = handshake.data;
      session.grant = { conversations: handshake.conversations, expiresAt: handshake.expiresAt };
      sessions.add(session);
      observer.connectionOpened(connection.protocol);
      session.onClose(() => {
        sessions.delete(session);
        observer.connectionClosed(connection.protocol);
      });
      if (clientTopics) {
        const joined = clientTopics.join(session);
        joined.catch((error: unknown) =>
          logger.error({ sessionId: session.id, err: String(error) }, 'client topics failed'),
        );
        session.onClose(() => {
          // After a failed join too: the session must leave the index either way.
          const leave = () => clientTopics.leave(session);
          joined.then(leave, leave).catch(() => {});
        });
      }
      if (features.events) {
        const stop = new AbortController();
        session.onClose(() => stop.abort());
        void runEventStream({
          client: features.events.client,
          url: features.events.url,
          headers: forwarded,
          deliver: (event, data) => session.deliver({ kind: 'event', event, data }),
          logger,
          signal: stop.signal,
        }).catch((error: unknown) =>
          logger.error({ sessionId: session.id, err: String(error) }, 'events stream failed'),
        );
      }
      return session;
    },
  };
}

/** What a bridge is built from. */
export interface BridgeDeps {
  options: BridgeOptions;
  /** Where chat_messages go: the resolved upstream URL. */
  upstreamUrl: string;
  upstream: UpstreamClient;
  /** The config file's content (request shaping, profiles); none unless given. */
  config?: BridgeConfig | undefined;
  logger?: Logger;
  /** Streams and conversations; in-memory unless given (a given one is not closed by `close`). */
  registry?: Registry;
  /** Metrics hooks; none unless given. */
  observer?: BridgeObserver;
  /** The application's hooks; none unless given. */
  hooks?: BridgeHooks | undefined;
  /** Serves the join check (`--join-auth-url`); the global fetch unless given. */
  fetch?: typeof fetch;
}

/** A bridge that runs its streams in this process. */
export interface Bridge extends SessionOpener {
  readonly registry: Registry;
  /** The application's hooks (admission runs `onConnect`). */
  readonly hooks: BridgeHooks | undefined;
  /** Streams this instance runs whose stop has not gone out yet. */
  readonly runningStreams: number;
  /** Resolves once every upstream request this instance ran has ended. */
  idle(): Promise<void>;
  /** Cancel every running stream. */
  cancelAll(): void;
  /** Graceful shutdown began: refuse new streams (`server_shutdown`); resumes still work. */
  startDraining(): void;
  /** Cancel everything and release the registry. */
  close(): Promise<void>;
}

/**
 * Build a bridge that runs its streams in this process, from its options and injected runtime
 * pieces. (The package's `createBridge` builds on it and attaches it to servers.)
 */
export function createLocalBridge(deps: BridgeDeps): Bridge {
  const { options } = deps;
  // First: a bad profile stops the start before anything is opened.
  const profile = resolveProfile(options.profile, deps.config?.profiles);
  const logger = deps.logger ?? silentLogger;
  // An injected registry is the caller's (it may serve other bridges too): closed by its owner.
  const ownsRegistry = deps.registry === undefined;
  const registry = deps.registry ?? createMemoryRegistry(options);
  const observer = deps.observer ?? silentObserver;
  const streams = createLocalStreamHost({ ...deps, logger, registry, observer });
  registry.onAudienceChange?.((requestIds, conversationIds) =>
    streams.audienceChanged(requestIds, conversationIds),
  );
  let draining = false;
  const { hooks } = deps;
  const host: SessionHost = {
    ...streams,
    options,
    registry,
    observer,
    hooks,
    draining: () => draining,
    runningStreams: () => streams.runningStreams,
    refreshCheck: createJwtCheck(options, (i, init) => (deps.fetch ?? fetch)(i, init)),
    conversationAccess: createConversationAccess(
      options,
      deps.fetch ?? ((i, init) => fetch(i, init)),
    ),
  };
  const opener = createSessionOpener(host, logger, profile, {
    clientTopics: true,
    ...(options.eventsUrl === undefined
      ? {}
      : { events: { url: options.eventsUrl, client: deps.upstream } }),
  });
  return {
    ...opener,
    registry,
    hooks,
    get runningStreams() {
      return streams.runningStreams;
    },
    idle: () => streams.idle(),
    cancelAll: () => streams.cancelAll(),
    startDraining: () => {
      draining = true;
    },
    async close() {
      streams.cancelAll();
      await streams.idle();
      await opener.releaseTopics?.();
      if (ownsRegistry) await registry.close();
    },
  };
}
