/**
 * Opening client sessions: the one place a connected, admitted client becomes a {@link Session}
 * speaking the bridge's profile, with its publish topics and events stream.
 */
import { createClientTopics } from './client-topics.ts';
import { runEventStream } from '../upstream/event-stream.ts';
import { type Handshake, toForwardedHeaders } from '../protocol/handshake.ts';
import type { Lifecycle } from '../internal/lifecycle.ts';
import type { Logger } from '../internal/logger.ts';
import type { BridgeObserver } from '../internal/observer.ts';
import type { BridgeOptions } from '../config/types.ts';
import {
  createProfiledSession,
  isIdentityProfile,
  type Profile,
  resolveProfile,
} from './profiles/index.ts';
import { type ClientConnection, Session, type SessionHost } from './session.ts';
import { SessionIndex } from './session-index.ts';
import type { UpstreamClient } from '../upstream/client.ts';

/** What transports need to open client sessions. */
export interface SessionOpener {
  readonly options: BridgeOptions;
  readonly logger: Logger;
  readonly observer: BridgeObserver;
  /** The client vocabulary sessions speak (the `profile` option). */
  readonly profile: Profile;
  /** Sessions whose client is still connected. */
  readonly sessions: ReadonlySet<Session>;
  /**
   * An admitted client is about to be told it is connected: make sure what is published to it
   * from then on reaches it (see `ClientTopics.prepare`). Resolves with a release to call
   * once its session is open. Never rejects: a registry that fails leaves the client to connect
   * without its publish topics, as a failed join does.
   */
  prepare?(handshake: Handshake): Promise<() => void>;
  /** A new client connected (its handshake already admitted). */
  openSession(connection: ClientConnection, handshake: Handshake): Session;
  /** The shutdown state admission reads, when the opener belongs to a bridge that drains. */
  readonly lifecycle?: Lifecycle;
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
  const sessions = new SessionIndex();
  const { options, observer } = host;
  const identity = isIdentityProfile(profile);
  const clientTopics = features.clientTopics
    ? createClientTopics(host.registry, logger, sessions)
    : undefined;
  /** Client topic joins not yet settled, so a close leaves only after its join. */
  const joining = new Map<Session, Promise<void>>();
  // One listener for every session (it gets the session): no closures kept per connection.
  const onSessionClosed = (session: Session): void => {
    sessions.delete(session);
    observer.connectionClosed(session.connection.protocol);
    if (!clientTopics) return;
    const joined = joining.get(session);
    joining.delete(session);
    // After a failed join too: the session must leave the index either way.
    const leave = () => clientTopics.leave(session);
    (joined ?? Promise.resolve()).then(leave, leave).catch(() => {});
  };
  return {
    options,
    logger,
    observer,
    profile,
    sessions,
    releaseTopics: async () => clientTopics?.close(),
    ...(clientTopics && {
      prepare: (handshake: Handshake) =>
        clientTopics
          .prepare(handshake.userId, options.handshakeTimeoutMs)
          .catch((error: unknown) => {
            logger.error({ err: String(error) }, 'client topics failed');
            return () => {};
          }),
    }),
    openSession(connection, handshake) {
      const forwarded = toForwardedHeaders(handshake, options.forwardHeaders);
      const session = identity
        ? new Session(host, connection, forwarded, handshake.userId)
        : createProfiledSession(host, connection, profile, forwarded, handshake.userId);
      session.data = handshake.data;
      session.grant = { conversations: handshake.conversations, expiresAt: handshake.expiresAt };
      sessions.add(session);
      observer.connectionOpened(connection.protocol);
      if (clientTopics) {
        const joined = clientTopics
          .join(session)
          .catch((error: unknown) =>
            logger.error({ sessionId: session.id, err: String(error) }, 'client topics failed'),
          );
        joining.set(session, joined);
        void joined.then(() => {
          if (joining.get(session) === joined) joining.delete(session);
        });
      }
      session.onClose(onSessionClosed);
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
