/**
 * The contracts of the runtime-free Socket.IO server (./socketio.ts): what the runtime adapter
 * hands it (the accepted WebSocket, Engine.IO settings) and what it hands back (the listener), and
 * who receives a connected client's events.
 */
import { WS_CLOSE } from '../internal/errors.ts';
import type { ClientConnection } from '../session/session.ts';
import type { Answer } from './client-port.ts';

/** socket.io's own `connectTimeout`: an Engine.IO peer that never joins "/" holds resources. */
export const DEFAULT_SOCKET_IO_CONNECT_TIMEOUT_MS = 45_000;

/**
 * Packets held while an async connect handler runs; socket.io-client sends none before its
 * CONNECT is answered, so only a misbehaving peer reaches this bound.
 */
export const DEFAULT_MAX_HELD_PACKETS = 64;

/** Close code for a peer that misses a PONG or never connects to "/" (it broke the protocol). */
export const TIMEOUT_CLOSE_CODE = WS_CLOSE.policy;

/** The accepted WebSocket, as the runtime adapter exposes it. */
export interface SocketIoTransport {
  /** Send one text frame; once the socket is no longer open, drop it instead of throwing. */
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Engine.IO settings, announced to the client in the OPEN packet. */
export interface SocketIoProtocolOptions {
  /** How often the server sends a PING (the bridge's `heartbeatIntervalMs`). */
  pingIntervalMs: number;
  /** How long a PING may go unanswered before the transport is closed (`heartbeatTimeoutMs`). */
  pingTimeoutMs: number;
  /** Largest accepted text frame in UTF-8 bytes; a larger one closes with 1009 (`maxMessageBytes`). */
  maxPayloadBytes: number;
  /** How long the client has to connect to "/" after the OPEN packet. @default 45000 */
  connectTimeoutMs?: number;
  /** The one namespace served (the profile's); others get `Invalid namespace`. @default "/" */
  namespace?: string;
}

/** Who receives the events of a client connected to "/": a bridge client's port fits. */
export interface SocketIoReceiver {
  /**
   * One client event; `answer` is given when the client asked for an ack (the receiver answers at
   * most once, as a client port from the entry does).
   */
  receive(event: string, data: unknown, answer?: Answer): void;
  /** The client left "/" or the transport closed; called once. */
  close(): void;
  /**
   * Where the `error` event that goes with a refused acked message is sent: the session's own
   * connection, so a profile reshapes it. @default the connection given to the connect handler
   */
  readonly connection?: ClientConnection;
}

/**
 * Called when the client connects to namespace "/", with its `auth` payload (`{}` when none) and a
 * {@link ClientConnection} to emit through. Throwing (or rejecting) refuses the client: it receives
 * `connect_error` with the error's message and `data: {code, ...details}`. It may return a Promise
 * (an async credential check): the client's packets are held until it settles, then handled in
 * order.
 */
export type SocketIoConnectHandler = (
  auth: Record<string, unknown>,
  connection: ClientConnection,
) => SocketIoReceiver | Promise<SocketIoReceiver>;

/** What the runtime adapter calls as its WebSocket receives frames and closes. */
export interface SocketIoListener {
  /** A text frame arrived. */
  onText(text: string): void;
  /** A binary frame arrived (refused: every packet here is JSON text). */
  onBinary(): void;
  /** The peer closed the transport (or it failed). */
  onClose(): void;
}
