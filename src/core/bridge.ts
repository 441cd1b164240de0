/**
 * The bridge: runs the upstream requests of the streams this instance owns, and opens client
 * sessions. Runtime pieces (upstream client, logger, registry) are injected by the adapters.
 */
import { type Handshake, toForwardedHeaders } from './handshake.ts';
import { type Logger, silentLogger } from './logger.ts';
import { createMemoryRegistry } from './memory-registry.ts';
import type { BridgeOptions } from './options.ts';
import type { Registry } from './registry.ts';
import { type ClientConnection, Session, type SessionHost } from './session.ts';
import { Stream } from './stream.ts';
import type { UpstreamClient } from './upstream.ts';
import { relayUpstream } from './upstream-relay.ts';

/** What a bridge is built from. */
export interface BridgeDeps {
  options: BridgeOptions;
  /** Where chat_messages go: the resolved upstream URL. */
  upstreamUrl: string;
  upstream: UpstreamClient;
  logger?: Logger;
  /** Streams and conversations; in-memory unless given. */
  registry?: Registry;
}

/** The runtime-independent bridge. */
export interface Bridge {
  readonly options: BridgeOptions;
  readonly logger: Logger;
  readonly registry: Registry;
  /** A new client connected. */
  openSession(connection: ClientConnection, handshake: Handshake): Session;
  /** Streams this instance runs whose stop has not gone out yet. */
  readonly runningStreams: number;
  /** Resolves once every upstream request this instance ran has ended. */
  idle(): Promise<void>;
  /** Cancel every running stream. */
  cancelAll(): void;
  /** Cancel everything and release the registry. */
  close(): Promise<void>;
}

/** Build a bridge from its options and injected runtime pieces. */
export function createBridge(deps: BridgeDeps): Bridge {
  const { options, upstream, upstreamUrl } = deps;
  const logger = deps.logger ?? silentLogger;
  const registry = deps.registry ?? createMemoryRegistry(options);
  const running = new Map<string, Stream>();
  const byConversation = new Map<string, Set<string>>();
  const relays = new Set<Promise<void>>();
  const logStoreError = (requestId: string) => (error: unknown) =>
    logger.error({ requestId, err: String(error) }, 'registry write failed');

  const track = (stream: Stream): void => {
    const { requestId, conversationId } = stream.info;
    running.set(requestId, stream);
    if (conversationId !== undefined) {
      let ids = byConversation.get(conversationId);
      if (!ids) {
        ids = new Set();
        byConversation.set(conversationId, ids);
      }
      ids.add(requestId);
    }
    stream.onDone(() => {
      running.delete(requestId);
      if (conversationId !== undefined) {
        const ids = byConversation.get(conversationId);
        ids?.delete(requestId);
        if (ids?.size === 0) byConversation.delete(conversationId);
      }
      registry.finishStream(requestId).catch(logStoreError(requestId));
    });
  };

  const host: SessionHost = {
    registry,
    startStream(info, body, session) {
      const { requestId } = info;
      const stream = new Stream(info, (frame) => {
        registry.appendFrame(info, frame).catch(logStoreError(requestId));
      });
      track(stream);
      logger.info({ requestId, session: session.id }, 'stream started');
      const relay = relayUpstream({
        client: upstream,
        url: upstreamUrl,
        body,
        headers: {
          ...session.forwardedHeaders,
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'x-request-id': requestId,
        },
        timeouts: options,
        signal: stream.signal,
        emit: (frame) => {
          if (frame.type === 'error') {
            const code = (frame.content as { code?: unknown }).code;
            logger.warn({ requestId, code }, 'stream error');
          }
          stream.push(frame);
        },
      }).finally(() => {
        relays.delete(relay);
        logger.info({ requestId, frames: stream.seq }, 'stream finished');
      });
      relays.add(relay);
    },
    findRunning(requestId) {
      return running.get(requestId)?.info;
    },
    cancelStream(requestId) {
      const stream = running.get(requestId);
      if (!stream) return false;
      stream.cancel();
      return true;
    },
    audienceChanged(requestIds, conversationIds) {
      const ids = new Set(requestIds);
      for (const conversationId of conversationIds) {
        for (const id of byConversation.get(conversationId) ?? []) ids.add(id);
      }
      for (const id of ids) {
        const stream = running.get(id);
        if (!stream) continue;
        registry.audience(stream.info).then((count) => {
          if (count > 0) {
            stream.endGrace();
          } else if (!stream.orphaned) {
            logger.info({ requestId: id, graceMs: options.resumeGraceMs }, 'stream orphaned');
            stream.startGrace(options.resumeGraceMs);
          }
        }, logStoreError(id));
      }
    },
  };

  const cancelAll = (): void => {
    for (const stream of [...running.values()]) stream.cancel();
  };

  return {
    options,
    logger,
    registry,
    openSession(connection, handshake) {
      return new Session(host, connection, toForwardedHeaders(handshake, options.forwardHeaders));
    },
    get runningStreams() {
      return running.size;
    },
    async idle() {
      while (relays.size > 0) await Promise.allSettled([...relays]);
    },
    cancelAll,
    async close() {
      cancelAll();
      while (relays.size > 0) await Promise.allSettled([...relays]);
      await registry.close();
    },
  };
}
