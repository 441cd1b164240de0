/**
 * The bridge: owns the running streams and opens client sessions. Runtime pieces (the upstream
 * client, the logger) are injected by the Node and Workers adapters.
 */
import { BridgeError } from './errors.ts';
import { type Handshake, toForwardedHeaders } from './handshake.ts';
import { type Logger, silentLogger } from './logger.ts';
import type { BridgeOptions } from './options.ts';
import { type ClientConnection, Session, type SessionHost } from './session.ts';
import { Stream } from './stream.ts';
import type { UpstreamClient } from './upstream.ts';
import { relayUpstream } from './upstream-relay.ts';

/** Longest client-chosen request id; it travels as the X-Request-Id header. */
export const MAX_REQUEST_ID_LENGTH = 128;
const REQUEST_ID_PATTERN = /^[\x21-\x7e]+$/;

/** What a bridge is built from. */
export interface BridgeDeps {
  options: BridgeOptions;
  /** Where chat_messages go: the resolved upstream URL. */
  upstreamUrl: string;
  upstream: UpstreamClient;
  logger?: Logger;
}

/** The runtime-independent bridge. */
export interface Bridge {
  readonly options: BridgeOptions;
  readonly logger: Logger;
  /** A new client connected. */
  openSession(connection: ClientConnection, handshake: Handshake): Session;
  /** Streams whose stop has not gone out yet. */
  readonly runningStreams: number;
  /** Resolves once every running stream has sent its stop. */
  idle(): Promise<void>;
  /** Cancel every running stream. */
  cancelAll(): void;
}

/** Build a bridge from its options and injected runtime pieces. */
export function createBridge(deps: BridgeDeps): Bridge {
  const { options, upstream, upstreamUrl } = deps;
  const logger = deps.logger ?? silentLogger;
  const streams = new Map<string, Stream>();
  const relays = new Set<Promise<void>>();

  const toRequestId = (data: Record<string, unknown>): string => {
    const given = data.request_id;
    if (given === undefined || given === null) return crypto.randomUUID();
    if (
      typeof given !== 'string' ||
      given.length > MAX_REQUEST_ID_LENGTH ||
      !REQUEST_ID_PATTERN.test(given)
    ) {
      throw new BridgeError(
        'bad_request',
        `request_id must be 1-${MAX_REQUEST_ID_LENGTH} visible ASCII characters`,
      );
    }
    return given;
  };

  const host: SessionHost = {
    startStream(data, session) {
      const requestId = toRequestId(data);
      if (streams.has(requestId)) {
        throw new BridgeError('bad_request', `request_id "${requestId}" is already running`);
      }
      const stream = new Stream(requestId, (error) =>
        logger.warn({ requestId, err: String(error) }, 'frame delivery failed'),
      );
      streams.set(requestId, stream);
      stream.onDone(() => streams.delete(requestId));
      session.attach(stream);
      logger.info({ requestId, session: session.id }, 'stream started');
      const relay = relayUpstream({
        client: upstream,
        url: upstreamUrl,
        body: JSON.stringify(data),
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
            logger.warn(
              { requestId, code: (frame.content as { code?: unknown }).code },
              'stream error',
            );
          }
          stream.push(frame);
        },
      }).finally(() => {
        relays.delete(relay);
        logger.info({ requestId, frames: stream.seq }, 'stream finished');
      });
      relays.add(relay);
      return stream;
    },
    release(stream) {
      // No grace period yet: a stream nobody receives is cancelled at once.
      if (stream.subscriberCount === 0) stream.cancel();
    },
  };

  return {
    options,
    logger,
    openSession(connection, handshake) {
      return new Session(host, connection, toForwardedHeaders(handshake, options.forwardHeaders));
    },
    get runningStreams() {
      return streams.size;
    },
    async idle() {
      while (relays.size > 0) await Promise.allSettled([...relays]);
    },
    cancelAll() {
      for (const stream of [...streams.values()]) stream.cancel();
    },
  };
}
