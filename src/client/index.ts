/**
 * `sse2ws/client`: the client SDK for browsers and Node. `connect()` gives a client that
 * reconnects, resumes unfinished answers without losing or repeating a frame, and detects a dead
 * server; `BridgeEventSource` puts one chat behind the EventSource interface.
 */
export { ChatStream } from './chat-stream.ts';
export { DEFAULT_FINISHED_MEMORY } from './chats.ts';
export {
  BridgeClient,
  type ChatOptions,
  type ClientEvents,
  connect,
  type ConversationAck,
  type ResumeOptions,
} from './client.ts';
export { ClientError, type ClientErrorCode, type ClientSideErrorCode } from './errors.ts';
export {
  BridgeEventSource,
  BridgeEventSource as EventSource,
  type BridgeEventListener,
  type BridgeEventSourceInit,
  type BridgeMessageEvent,
  DEFAULT_CLOSE_WAIT_MS,
  type ReadyState,
  toNamedEventData,
} from './event-source.ts';
export {
  type ConnectOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_RATE_LIMIT_RETRY_MS,
  DEFAULT_RECONNECT_DELAY_MAX_MS,
  DEFAULT_RECONNECT_DELAY_MS,
  DEFAULT_RECONNECT_JITTER,
  toBackoffDelay,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options.ts';
export type {
  ChatResponse,
  ClientProtocol,
  ConnectionState,
  Presence,
  UserMessage,
} from './protocol.ts';
