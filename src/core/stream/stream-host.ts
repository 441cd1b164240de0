import type { StreamInfo } from '../registry/registry.ts';

/**
 * Where streams run: in this process (Node, and inside a Workers Durable Object), or remotely (the
 * Workers entry asks the stream's Durable Object).
 */
export interface StreamHost {
  /** Start the upstream request of a stream that was just claimed in the registry. */
  startStream(info: StreamInfo, body: string, headers: Record<string, string>): Promise<void>;
  /** The running stream under that id, if any. */
  findRunning(requestId: string): Promise<StreamInfo | undefined>;
  /** Cancel a running stream; false when there is no such running stream. */
  cancelStream(requestId: string): Promise<boolean>;
  /** The audience of these streams/conversations may have changed: re-check grace periods. */
  audienceChanged(requestIds: readonly string[], conversationIds: readonly string[]): void;
  /**
   * A session stopped (or resumed) taking a stream's frames because its send buffer is full; when
   * every receiver of a stream is congested, its upstream is no longer read.
   */
  reportPressure(requestId: string, sessionId: string, congested: boolean): void;
}
