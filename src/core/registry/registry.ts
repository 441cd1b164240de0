/**
 * The registry of streams and conversations: where frames are kept for resume and how they reach
 * every subscribed socket. An interface so that an in-memory, a Redis and a Durable Object
 * implementation can stand behind the same bridge; asynchronous, and everything in it plain JSON.
 */
import type { ChatResponse } from '../protocol/frame.ts';

/** What the registry knows of a stream besides its frames. */
export interface StreamInfo {
  /**
   * The registry key: the client's request id scoped to the stream's owner (see
   * `stream-ownership.ts`). Frames carry {@link StreamInfo.clientRequestId} instead.
   */
  requestId: string;
  conversationId?: string | undefined;
  /** The request id the client chose (frames, acks, the upstream); `requestId` when absent. */
  clientRequestId?: string | undefined;
  /** Who started the stream: `u:<user id>` or `c:<session id>`. */
  owner?: string | undefined;
  /** SHA-256 (hex) of the stream's resume token. */
  resumeTokenHash?: string | undefined;
}

/** The answer to a resume: the frames still held after `afterSeq`, or why there are none. */
export type ReplayResult =
  | { status: 'ok'; frames: ChatResponse[]; done: boolean; info: StreamInfo }
  /** Unknown, or expired after the retention period. */
  | { status: 'unknown' }
  /** Frames the client needs were dropped from the bounded buffer; `firstSeq` is the oldest held. */
  | { status: 'truncated'; firstSeq: number };

/** What travels on a topic. */
export type TopicMessage =
  /** `key`: the stream's registry key (frames carry only the client's request id). */
  | { kind: 'frame'; frame: ChatResponse; key?: string }
  | {
      kind: 'event';
      event: string;
      data: unknown;
      /** Every listener but this session. */
      exceptSession?: string;
      /** Only this session ({@link CLIENTS_TOPIC}). */
      toSession?: string;
      /** `user_message`: the registry key of the stream the message started. */
      streamKey?: string;
    };

/** Who is in a conversation: socket count and the distinct verified user ids among them. */
export interface Presence {
  clients: number;
  users: string[];
}

/** Topic names: one per stream, one per conversation. */
export const streamTopic = (requestId: string): string => `stream:${requestId}`;
export const conversationTopic = (conversationId: string): string =>
  `conversation:${conversationId}`;
/**
 * The topic of messages for one client (`POST /publish` to `{client}`): every instance listens
 * once and hands each message to the session its `toSession` names, if that client is here.
 */
export const CLIENTS_TOPIC = 'clients';
/** One topic per verified user: every client of that user listens (publish, device presence). */
export const userTopic = (userId: string): string => `user:${userId}`;
/** The topic every connected client listens to: `POST /publish` to `"all"`. */
export const BROADCAST_TOPIC = 'broadcast';
/**
 * The membership under which the registry counts a user's connected clients (devices), through
 * `joinConversation`/`leaveConversation`. Conversation ids are printable ASCII without spaces, so
 * the space keeps this key apart from every conversation (and no stream ever has it).
 */
export const userDevicesKey = (userId: string): string => `user ${userId}`;

/** Stop listening to a topic. */
export type Unsubscribe = () => Promise<void>;

/** The registry contract. */
export interface Registry {
  /**
   * Atomically create a stream record. Resolves false when the request id is already taken by a
   * running or still-retained stream (the caller then attaches instead of calling the upstream).
   */
  claimStream(info: StreamInfo): Promise<boolean>;
  /**
   * Keep a numbered frame (dropping the oldest beyond the buffer limit) and publish it to the
   * stream's topic and, if it has one, its conversation's topic. Calls for one stream are made in
   * seq order and must be applied in that order. An implementation that completes at once may
   * return nothing (no promise per frame on the hot path).
   */
  appendFrame(info: StreamInfo, frame: ChatResponse): Promise<void> | void;
  /** The stream sent its stop: keep it resumable for the retention period, then forget it. */
  finishStream(requestId: string): Promise<void>;
  /** Frames with seq > afterSeq, in order. */
  readFrames(requestId: string, afterSeq: number): Promise<ReplayResult>;
  /** Listen to a topic. */
  subscribe(topic: string, listener: (message: TopicMessage) => void): Promise<Unsubscribe>;
  /** Publish an event to a topic's listeners. */
  publish(topic: string, message: TopicMessage): Promise<void>;
  /** Add a session (of a user, if verified) to a conversation; resolves with the presence after. */
  joinConversation(conversationId: string, sessionId: string, userId?: string): Promise<Presence>;
  /** Remove a session from a conversation; resolves with the presence after. */
  leaveConversation(conversationId: string, sessionId: string): Promise<Presence>;
  /**
   * How many sockets would receive this stream's next frame: direct subscribers plus members of its
   * conversation. Zero starts the resume grace period.
   */
  audience(info: StreamInfo): Promise<number>;
  /**
   * Registries shared by several instances: call `listener` when the audience of streams or
   * conversations may have changed elsewhere (a socket subscribed on another instance, or one that
   * died), so the instance running those streams re-checks their grace periods.
   */
  onAudienceChange?(
    listener: (requestIds: readonly string[], conversationIds: readonly string[]) => void,
  ): void;
  /**
   * Streams of `owner` still running (orphaned ones in their resume grace included), across every
   * instance sharing the registry. Absent where the registry cannot count them (Workers).
   */
  runningStreamsOf?(owner: string): Promise<number>;
  /** Release timers and connections, after the writes already made are stored. */
  close(): Promise<void>;
}
