/**
 * Hooks an application plugs into the bridge (the library's `createBridge({ hooks })`): its own
 * admission, message validation, upstream request changes, frame rewriting and stream accounting.
 * Plain functions over plain data, so they run on every runtime; each may be async.
 */
import type { Frame } from '../protocol/frame.ts';
import type { ClientProtocol } from '../internal/client-protocol.ts';

/** A connecting client, as `onConnect` sees it (admission already passed). */
export interface ConnectContext {
  protocol: ClientProtocol;
  /** Handshake headers, lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The verified user (JWT `sub`, or the connect-check's `userId`), if any. */
  userId: string | undefined;
}

/**
 * What `onConnect` decides: `false` refuses the client (`unauthorized`); an object admits it,
 * setting its user id and/or attaching `data` (read back in the other hooks as `client.data`);
 * nothing admits it unchanged. A thrown `BridgeError` refuses with its message.
 */
export type ConnectDecision =
  void | undefined | boolean | { userId?: string; data?: Record<string, unknown> };

/** The client a message came from. */
export interface HookClient {
  id: string;
  protocol: ClientProtocol;
  userId: string | undefined;
  /** What `onConnect` attached. */
  data: Readonly<Record<string, unknown>> | undefined;
}

/** One client message, in the core vocabulary (`chat_message`, `join`, …). */
export interface ClientMessage {
  event: string;
  data: unknown;
}

/** The upstream request of one chat message, before it is sent. */
export interface UpstreamRequestContext {
  requestId: string;
  conversationId: string | undefined;
  url: string;
  method: string;
  headers: Readonly<Record<string, string>>;
  /** JSON text; none for GET. */
  body: string | undefined;
}

/** What `onUpstreamRequest` may change: headers are merged over the request's, the body replaces it. */
export interface UpstreamRequestChange {
  headers?: Record<string, string>;
  body?: string;
}

/** The stream a frame belongs to. */
export interface StreamContext {
  requestId: string;
  conversationId: string | undefined;
}

/** How a stream ended, for logs and billing. */
export interface StreamSummary extends StreamContext {
  durationMs: number;
  /** Frames sent, the stop included. */
  frames: number;
  /** `complete`, `cancelled`, `abandoned`, or the error code that ended it. */
  outcome: string;
}

/** The hooks; every one is optional. A hook that throws (other than as documented) is logged. */
export interface BridgeHooks {
  /** A client was admitted: refuse it, or attach a user id and data. */
  onConnect?(context: ConnectContext): ConnectDecision | Promise<ConnectDecision>;
  /**
   * A client message arrived: return nothing to keep it, a {@link ClientMessage} to replace it, or
   * throw to refuse it (a `BridgeError` reaches the client as is, anything else as `bad_request`
   * with the error's message).
   */
  onMessage?(
    message: ClientMessage,
    client: HookClient,
  ): ClientMessage | void | undefined | Promise<ClientMessage | void | undefined>;
  /** An upstream request is about to go out: add headers, change the body. */
  onUpstreamRequest?(
    request: UpstreamRequestContext,
  ): UpstreamRequestChange | void | undefined | Promise<UpstreamRequestChange | void | undefined>;
  /**
   * A frame arrived from the upstream, before it is numbered: return a frame to replace it, `null`
   * to drop it, nothing to keep it. A stop frame cannot be dropped and stays a stop (every answer
   * ends with exactly one). Synchronous: frames keep their order.
   */
  onFrame?(frame: Frame, stream: StreamContext): Frame | null | void | undefined;
  /** A stream sent its stop. */
  onStreamEnd?(summary: StreamSummary): void | Promise<void>;
}
