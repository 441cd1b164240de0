/**
 * The bridge as one process runs it: a registry, a local stream host, and client sessions.
 * Runtime pieces (upstream client, logger, registry) are injected by the adapters.
 */
import { createConversationAccess } from './auth/conversation-access.ts';
import { createJwtCheck } from './auth/credentials.ts';
import type { BridgeHooks } from './stream/hooks.ts';
import { createLocalStreamHost } from './stream/host.ts';
import { type Logger, silentLogger } from './internal/logger.ts';
import { createMemoryRegistry } from './registry/memory.ts';
import { type BridgeObserver, silentObserver } from './internal/observer.ts';
import type { BridgeOptions } from './config/types.ts';
import { resolveProfile } from './session/profiles/index.ts';
import type { SessionHost } from './session/session.ts';
import type { Registry } from './registry/registry.ts';
import type { BridgeConfig } from './upstream/request-config.ts';
import type { UpstreamClient } from './upstream/client.ts';
import { createSessionOpener, type SessionOpener } from './session/opener.ts';
import { createLifecycle, type Lifecycle } from './internal/lifecycle.ts';

export type { SessionFeatures, SessionOpener } from './session/opener.ts';

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
  /** The shutdown state shared with admission and readiness; a new one unless given. */
  lifecycle?: Lifecycle;
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
  /** Draining and closing, shared with admission and readiness. */
  readonly lifecycle: Lifecycle;
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
  const lifecycle = deps.lifecycle ?? createLifecycle();
  const { hooks } = deps;
  const host: SessionHost = {
    ...streams,
    options,
    registry,
    observer,
    hooks,
    draining: () => lifecycle.draining,
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
    lifecycle,
    startDraining: () => lifecycle.startDraining(),
    async close() {
      streams.cancelAll();
      await streams.idle();
      await opener.releaseTopics?.();
      if (ownsRegistry) await registry.close();
    },
  };
}
