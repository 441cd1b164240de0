/** Frame types: what the client protocol carries in a chat_response. */

/** A frame before it is numbered: the `type` and `content` the seed frontends read. */
export interface Frame {
  type: string;
  content: unknown;
}

/** One `chat_response` payload as sent to clients. Plain JSON so registries can store it as is. */
export interface ChatResponse {
  type: string;
  content: unknown;
  request_id: string;
  /** 0, 1, 2, ... per request, no gaps. */
  seq: number;
  /** When the frame was numbered (ms since the epoch); a replayed frame keeps it. */
  timestamp: number;
}

/** Why a stream stopped; sent as `content.reason` of the bridge's own stop frames. */
export type StopReason = 'complete' | 'error' | 'cancelled' | 'abandoned';

/** The stop frame the bridge writes itself (an upstream stop is forwarded unchanged). */
export function toStopFrame(reason: StopReason): Frame {
  return { type: 'stop', content: { reason } };
}
