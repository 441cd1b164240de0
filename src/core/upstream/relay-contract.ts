/**
 * What a relay of one upstream request is given and what it offers (relay.ts runs it): its input,
 * its timeouts and the limits it reads bodies with.
 */
import type { Frame } from '../protocol/frame.ts';
import type { RelayReport } from './dialect-chooser.ts';
import type { UpstreamFormat } from './dialects/index.ts';
import type { UpstreamMethod } from './request-config.ts';
import type { UpstreamClient } from './client.ts';

/** Bytes of a non-2xx body kept in the error frame: enough for a message, not a whole HTML page. */
export const DEFAULT_ERROR_BODY_PREVIEW_BYTES = 512;
/** Largest non-SSE (JSON or text) answer read into memory. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;
/** After the stream completes, keep reading this long so the pooled connection can be reused. */
export const DEFAULT_DRAIN_MS = 1_000;

/** The timeouts the relay enforces itself (the connect timeout belongs to the upstream client). */
export interface RelayTimeouts {
  firstFrameTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Everything one relay run needs. */
export interface RelayInput {
  client: UpstreamClient;
  url: string;
  /** @default "POST" */
  method?: UpstreamMethod;
  /** JSON text; none for GET. */
  body?: string | undefined;
  headers: Record<string, string>;
  timeouts: RelayTimeouts;
  /**
   * Aborted when the stream is cancelled; the relay then ends quietly. Without one, the stream
   * calls {@link UpstreamRelay.cancel} instead (an AbortSignal per stream is not small).
   */
  signal?: AbortSignal | undefined;
  /** Receives every frame in order; the last one is a stop. */
  emit: (frame: Frame) => void;
  /**
   * Backpressure: a promise while the frames cannot be taken (every receiver is congested); the
   * body is not read until it resolves, so the upstream's TCP window closes instead of memory
   * growing. The idle timeout does not run meanwhile.
   */
  whenFlowing?: () => Promise<void> | undefined;
  /** The upstream's SSE dialect, or `auto` to recognise it. @default "auto" */
  format?: UpstreamFormat;
  /** Told which dialect the stream speaks and why, and of events passed on without a mapping. */
  report?: RelayReport;
}

export const silentRelayReport: RelayReport = {
  detected: () => {},
  unmapped: () => {},
  dropped: () => {},
};

/** One upstream request being relayed. */
export interface UpstreamRelay {
  /** Relay the request into frames. Never throws; always emits a final stop. Call once. */
  run(): Promise<void>;
  /** The stream was cancelled: end quietly (what aborting `signal` does). */
  cancel(): void;
}
