/**
 * What a session is given: the transport's side of one client ({@link ClientConnection}, the
 * {@link Reply} to a message) and the bridge's side ({@link SessionHost}).
 */
import type { ConversationAccessCheck } from '../auth/conversation-access.ts';
import type { CredentialCheck } from '../auth/credentials.ts';
import type { BridgeOptions } from '../config/types.ts';
import type { ClientProtocol } from '../internal/client-protocol.ts';
import type { ErrorPayload } from '../internal/errors.ts';
import type { BridgeObserver } from '../internal/observer.ts';
import { withTimestamp } from '../internal/timestamp.ts';
import type { Registry } from '../registry/registry.ts';
import type { BridgeHooks } from '../stream/hooks.ts';
import type { StreamHost } from '../stream/stream-host.ts';

export type { ClientProtocol } from '../internal/client-protocol.ts';
export type { StreamHost } from '../stream/stream-host.ts';

/** What a transport adapter provides for one connected client. */
export interface ClientConnection {
  readonly protocol: ClientProtocol;
  /** Send one event to the client (Socket.IO emit, or a `{event, data}` text frame). */
  send(event: string, data?: unknown): void;
  /** Bytes queued for the client and not yet written to its socket; absent where unknown. */
  bufferedBytes?(): number;
  /** Close the connection with a WebSocket close code (Socket.IO: disconnect). */
  close?(code: number, reason: string): void;
  /** The peer's IP address, where the transport knows it (`GET /clients`). */
  readonly remoteAddress?: string | undefined;
}

/** The answer to one client message that asked for one (Socket.IO ack, `/ws` `id`). */
export type ReplyOutcome = { event?: string; data?: unknown } | { error: ErrorPayload };

/** Called at most once per client message. */
export type Reply = (outcome: ReplyOutcome) => void;

/** What a session needs: the registry, where streams run, and where to report. */
export interface SessionHost extends StreamHost {
  readonly options: BridgeOptions;
  readonly registry: Registry;
  readonly observer: BridgeObserver;
  /** While true (graceful shutdown), new streams are refused with `server_shutdown`. */
  readonly draining?: () => boolean;
  /** The application's hooks (`onMessage` runs here). */
  readonly hooks?: BridgeHooks | undefined;
  /** Who may join a conversation; anyone when absent. */
  readonly conversationAccess?: ConversationAccessCheck | undefined;
  /** Streams running on this instance, orphaned ones included (`--max-streams`). */
  readonly runningStreams?: (() => number) | undefined;
  /** Verifies a `refresh` token (the JWT check); refresh is refused when absent. */
  readonly refreshCheck?: CredentialCheck | undefined;
}

/** A reply whose acks and errors carry `timestamp` like every other server message. */
export function toStampedReply(reply: Reply): Reply {
  return (outcome) => {
    const now = Date.now();
    if ('error' in outcome) reply({ error: withTimestamp(outcome.error, now) as ErrorPayload });
    else reply({ ...outcome, data: withTimestamp(outcome.data, now) });
  };
}
