/**
 * What the bridge reports as it runs, for metrics. The core calls these hooks; Node implements
 * them with prom-client, Workers leaves them to its logs. Every hook must be cheap and never throw.
 */
import type { ClientProtocol } from './client-protocol.ts';

/** How a stream ended: its stop reason, or the error code it ended with. */
export interface StreamOutcome {
  requestId: string;
  durationMs: number;
  frames: number;
  /** `complete`, `cancelled`, `abandoned`, or the error code (`upstream_timeout`, …). */
  outcome: string;
}

/** Metrics hooks. */
export interface BridgeObserver {
  connectionOpened(protocol: ClientProtocol): void;
  connectionClosed(protocol: ClientProtocol): void;
  /** A handshake was refused (`forbidden_origin`, `unauthorized`, `server_busy`, …). */
  handshakeRefused(reason: string): void;
  streamStarted(): void;
  streamFinished(outcome: StreamOutcome): void;
  /** Milliseconds from the upstream request to its first frame. */
  firstFrame(ms: number): void;
  /** A frame was sent to a client, `lagMs` after the bridge received it from the upstream. */
  frameRelayed(lagMs: number): void;
  upstreamError(code: string): void;
  /** An upstream event the stream's dialect could not map went out by the legacy rules. */
  unmappedEvent(dialect: string): void;
  resumed(): void;
  /** A client stayed over the send high-water mark too long and was disconnected. */
  slowClientDisconnected(): void;
}

const noop = (): void => {};

/** Reports nothing. */
export const silentObserver: BridgeObserver = {
  connectionOpened: noop,
  connectionClosed: noop,
  handshakeRefused: noop,
  streamStarted: noop,
  streamFinished: noop,
  firstFrame: noop,
  frameRelayed: noop,
  upstreamError: noop,
  unmappedEvent: noop,
  resumed: noop,
  slowClientDisconnected: noop,
};
