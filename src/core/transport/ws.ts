/**
 * The plain WebSocket envelope: `{"event": string, "data"?: any, "id"?: string | number}` both
 * ways. Runtime adapters hand text frames to {@link receiveWsText} and send what it produces.
 */
import { exceedsBytes } from '../internal/bytes.ts';
import { BridgeError, ERROR_TABLE } from '../internal/errors.ts';
import { LocalFrame } from '../protocol/frame.ts';
import { withTimestamp } from '../internal/timestamp.ts';
import type { ClientConnection, Session } from '../session/session.ts';
import { type AdmittedClient, type Answer, receiveFromClient } from './client-port.ts';

/** One parsed client message. */
export interface WsEnvelope {
  event: string;
  data?: unknown;
  id?: string | number;
}

/**
 * The envelope of the local frame last sent (local frames never change): a conversation's fan-out
 * sends the same string to every receiver, so it is built (and flattened on the first write) once.
 */
const lastEnvelope: { frame: object | undefined; text: string } = { frame: undefined, text: '' };

/** Serialise one outgoing message. */
export function toWsText(event: string, data?: unknown, id?: string | number): string {
  if (event === 'chat_response' && id === undefined && typeof data === 'object' && data !== null) {
    // The hot path: reuse the frame's text the registry already made.
    if (!LocalFrame.isLocal(data))
      return `{"event":"chat_response","data":${JSON.stringify(data)}}`;
    if (data !== lastEnvelope.frame) {
      lastEnvelope.frame = data;
      lastEnvelope.text = `{"event":"chat_response","data":${LocalFrame.jsonOf(data)}}`;
    }
    return lastEnvelope.text;
  }
  const envelope: WsEnvelope = { event };
  if (id !== undefined) envelope.id = id;
  if (data !== undefined) envelope.data = data;
  return JSON.stringify(envelope);
}

/**
 * Parse a client text frame. On failure returns the error and, when the text still carried a
 * usable `id`, that id so the error can answer it.
 */
export function fromWsText(
  text: string,
): { ok: true; envelope: WsEnvelope } | { ok: false; error: BridgeError; id?: string | number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new BridgeError('bad_message', 'message is not JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new BridgeError('bad_message', 'message is not a JSON object') };
  }
  const record = value as Record<string, unknown>;
  const id = record.id;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (id !== undefined && !validId) {
    return { ok: false, error: new BridgeError('bad_message', 'id must be a string or a number') };
  }
  if (typeof record.event !== 'string' || record.event === '') {
    const error = new BridgeError('bad_message', 'message has no string "event"');
    return validId ? { ok: false, error, id: id as string | number } : { ok: false, error };
  }
  const envelope: WsEnvelope = { event: record.event, data: record.data };
  if (validId) envelope.id = id as string | number;
  return { ok: true, envelope };
}

/** Handle one text frame from a `/ws` client of `session`. */
export function receiveWsText(
  session: Session,
  text: string,
  sendText: (text: string) => void,
): void {
  const parsed = fromWsText(text);
  if (!parsed.ok) {
    const payload = withTimestamp(parsed.error.toPayload());
    sendText(toWsText('error', payload, parsed.id));
    return;
  }
  const { event, data, id } = parsed.envelope;
  const answer: Answer | undefined =
    id === undefined
      ? undefined
      : (outcome) => {
          if ('error' in outcome) sendText(toWsText('error', outcome.error, id));
          else sendText(toWsText(outcome.event ?? 'ack', outcome.data ?? {}, id));
        };
  receiveFromClient(session, event, data, answer);
}

/**
 * How a runtime drives its WebSocket type `S`: shared by every connection of a bridge, so a
 * connection holds its socket and this table instead of closures of its own (idle memory).
 */
export interface WsSocketOps<S> {
  /** Whether `socket` is open (messages to a closing socket are dropped). */
  isOpen(socket: S): boolean;
  /** Send one text frame. */
  send(socket: S, text: string): void;
  close(socket: S, code: number, reason: string): void;
  /** Bytes sent but not yet taken by the client; absent where the runtime cannot tell. */
  bufferedBytes?(socket: S): number;
  /**
   * The peer's IP address, read when asked for (`GET /clients`) rather than kept per connection;
   * absent where the runtime cannot tell from the socket.
   */
  remoteAddress?(socket: S): string | undefined;
}

/** One `/ws` client: the connection its session sends through, fed by the runtime's socket. */
export class WsClient<S> implements ClientConnection {
  readonly #session: Session;
  readonly #ops: WsSocketOps<S>;
  readonly #socket: S;
  readonly #maxMessageBytes: number;
  readonly #remoteAddress: string | undefined;

  /**
   * Opens the admitted client's session over `socket`. `remoteAddress`: the peer's address where
   * the socket cannot tell it (`ops.remoteAddress`).
   */
  constructor(admitted: AdmittedClient, ops: WsSocketOps<S>, socket: S, remoteAddress?: string) {
    this.#ops = ops;
    this.#socket = socket;
    this.#maxMessageBytes = admitted.options.maxMessageBytes;
    this.#remoteAddress = remoteAddress;
    // The session, not its port: the port's rule is receiveFromClient (one object less per client).
    this.#session = admitted.open(this).session;
  }

  /** The peer's IP address, where the runtime knows it. */
  get remoteAddress(): string | undefined {
    return this.#remoteAddress ?? this.#ops.remoteAddress?.(this.#socket);
  }

  /** On the prototype, not a field of every connection. */
  get protocol(): 'ws' {
    return 'ws';
  }

  get session(): Session {
    return this.#session;
  }

  /** 0 where the runtime cannot tell (Workers): such a client is never seen as congested. */
  bufferedBytes(): number {
    return this.#ops.bufferedBytes?.(this.#socket) ?? 0;
  }

  send(event: string, data?: unknown): void {
    this.sendText(toWsText(event, data));
  }

  /** Send one text frame if the socket is still open. */
  sendText(text: string): void {
    if (this.#ops.isOpen(this.#socket)) this.#ops.send(this.#socket, text);
  }

  close(code: number, reason: string): void {
    this.#ops.close(this.#socket, code, reason);
  }

  /** A message from the client: text is handled, anything else is refused as binary. */
  receive(data: unknown): void {
    if (typeof data !== 'string') {
      const error = new BridgeError('bad_message', 'binary messages are not supported');
      this.sendText(toWsText('error', withTimestamp(error.toPayload())));
      return;
    }
    if (exceedsBytes(data, this.#maxMessageBytes)) {
      this.close(ERROR_TABLE.message_too_big.close, 'message too big');
      return;
    }
    receiveWsText(this.#session, data, (text) => this.sendText(text));
  }
}
