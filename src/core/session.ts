/**
 * One connected client, whatever its protocol: turns its events into stream operations and
 * delivers stream frames back to it.
 */
import { BridgeError, type ErrorPayload } from './errors.ts';
import type { ChatResponse } from './frame.ts';
import type { Stream, Subscriber } from './stream.ts';

/** The client protocols the bridge speaks. */
export type ClientProtocol = 'socketio' | 'ws';

/** What a transport adapter provides for one connected client. */
export interface ClientConnection {
  readonly protocol: ClientProtocol;
  /** Send one event to the client (Socket.IO emit, or a `{event, data}` text frame). */
  send(event: string, data?: unknown): void;
}

/** The answer to one client message that asked for one (Socket.IO ack, `/ws` `id`). */
export type ReplyOutcome = { event?: string; data?: unknown } | { error: ErrorPayload };

/** Called at most once per client message. */
export type Reply = (outcome: ReplyOutcome) => void;

/** What a session needs from the bridge (kept narrow so sessions stay testable). */
export interface SessionHost {
  /** Start or find the stream for a chat_message; throws BridgeError when refused. */
  startStream(data: Record<string, unknown>, session: Session): Stream;
  /** A stream this session was attached to lost a subscriber. */
  release(stream: Stream): void;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One connected client and the streams it receives. */
export class Session implements Subscriber {
  readonly id: string;
  readonly connection: ClientConnection;
  /** Headers forwarded upstream for this client's requests. */
  readonly forwardedHeaders: Readonly<Record<string, string>>;
  private readonly host: SessionHost;
  private readonly streams = new Map<string, Stream>();
  private closed = false;

  constructor(
    host: SessionHost,
    connection: ClientConnection,
    forwardedHeaders: Record<string, string>,
  ) {
    this.id = crypto.randomUUID();
    this.host = host;
    this.connection = connection;
    this.forwardedHeaders = forwardedHeaders;
  }

  /** How many of this client's streams are still running. */
  get streamCount(): number {
    return this.streams.size;
  }

  deliver(frame: ChatResponse): void {
    if (frame.type === 'stop') this.streams.delete(frame.request_id);
    if (!this.closed) this.connection.send('chat_response', frame);
  }

  /** Handle one client event. Never throws: failures go to the reply or an `error` event. */
  receive(event: string, data: unknown, reply?: Reply): void {
    if (this.closed) return;
    try {
      switch (event) {
        case 'chat_message':
          this.onChatMessage(data, reply);
          return;
        case 'chat_cancel':
          this.onChatCancel(data, reply);
          return;
        case 'ping':
          if (reply) reply({ event: 'pong' });
          else this.connection.send('pong');
          return;
        default:
          throw new BridgeError('unknown_event', `unknown event "${event}"`);
      }
    } catch (error) {
      this.fail(error, reply);
    }
  }

  /** Report an error that belongs to no stream: to the reply when there is one, else as `error`. */
  fail(error: unknown, reply?: Reply): void {
    const bridgeError =
      error instanceof BridgeError ? error : new BridgeError('internal_error', undefined);
    const payload = bridgeError.toPayload();
    if (reply) reply({ error: payload });
    else if (!this.closed) this.connection.send('error', payload);
  }

  /** The client went away: detach from every stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) {
      stream.unsubscribe(this);
      this.host.release(stream);
    }
  }

  private onChatMessage(data: unknown, reply?: Reply): void {
    if (!isObject(data)) {
      throw new BridgeError('bad_request', 'chat_message data must be a JSON object');
    }
    const stream = this.host.startStream(data, this);
    this.streams.set(stream.requestId, stream);
    reply?.({ data: { request_id: stream.requestId } });
  }

  /** Subscribe this session to a stream it will receive until stop. */
  attach(stream: Stream): void {
    if (stream.state === 'done') return;
    this.streams.set(stream.requestId, stream);
    stream.subscribe(this);
  }

  private onChatCancel(data: unknown, reply?: Reply): void {
    const requestId = isObject(data) ? data.request_id : undefined;
    if (typeof requestId !== 'string' || requestId === '') {
      throw new BridgeError('bad_request', 'chat_cancel needs a string request_id');
    }
    const stream = this.streams.get(requestId);
    if (!stream || stream.state === 'done') {
      throw new BridgeError('unknown_request', `no running request "${requestId}"`);
    }
    stream.cancel();
    reply?.({ data: { request_id: requestId } });
  }
}
