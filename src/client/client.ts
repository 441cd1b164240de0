/**
 * The client: one logical connection to the bridge that outlives the sockets under it. Each
 * (re)connect is a new transport; running chats, joined conversations and unanswered requests are
 * carried over to it, so the application sees one uninterrupted session.
 */
import type { ChatStream } from './chat-stream.ts';
import { Chats, codeOf } from './chats.ts';
import { Connection } from './connection.ts';
import { Emitter } from './emitter.ts';
import { ClientError, fromErrorPayload } from './errors.ts';
import { type ConnectOptions, DEFAULT_RATE_LIMIT_RETRY_MS, resolveOptions } from './options.ts';
import {
  type ChatResponse,
  type ConnectionState,
  type Presence,
  toConversationId,
  type UserMessage,
} from './protocol.ts';
import { createRequestId } from './request-id.ts';
import type { Transport } from './transport.ts';
import { toWebSocketClass } from './ws-transport.ts';

/** Events of {@link BridgeClient.on}. */
export interface ClientEvents {
  state: (state: ConnectionState) => void;
  presence: (presence: Presence) => void;
  user_message: (message: UserMessage) => void;
  /** Frames of streams this client neither started nor resumed (others' answers in a conversation). */
  chat_response: (frame: ChatResponse) => void;
  /** Errors of no request: a failed connection attempt, an `error` event of the bridge. */
  error: (error: ClientError) => void;
}

/** Options of {@link BridgeClient.chat}. */
export interface ChatOptions {
  /** Aborting it sends `chat_cancel`: the stream ends with `stop {"reason":"cancelled"}`. */
  signal?: AbortSignal;
}

/** Options of {@link BridgeClient.resume}. */
export interface ResumeOptions extends ChatOptions {
  /** The last seq already seen. @default -1 (every frame) */
  afterSeq?: number;
  /**
   * The stream's `resume_token` ({@link ChatStream.resumeToken} where it started): needed to
   * resume a stream of another connection when the bridge knows no user id for either.
   */
  resumeToken?: string;
}

/** The ack of `join` / `leave`. */
export interface ConversationAck {
  conversation_id: string;
  clients: number;
  users?: string[];
}

/** A join / leave waiting for its ack, re-sent on the next connection if this one is lost. */
interface PendingCall {
  event: string;
  data: unknown;
  resolve(data: unknown): void;
  reject(error: unknown): void;
  sentOn: Transport | undefined;
}

/** A connection to a bridge; made by {@link connect}. */
export class BridgeClient {
  /** The bridge's base URL (`http(s)://host:port`). */
  readonly url: string;
  private readonly events = new Emitter<ClientEvents>();
  private currentState: ConnectionState = 'connecting';
  private readonly connection: Connection;
  private readonly chats: Chats;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Conversations asked for and not left since; `joined` is the acked part, rejoined on reconnect. */
  private readonly wanted = new Set<string>();
  private readonly joined = new Set<string>();
  private readonly calls = new Set<PendingCall>();

  constructor(url: string, options: ConnectOptions) {
    if (options.protocol !== 'ws' && options.protocol !== 'socketio') {
      throw new TypeError(`protocol must be "ws" or "socketio", not ${String(options.protocol)}`);
    }
    if (options.protocol === 'ws') toWebSocketClass(options.WebSocket);
    this.url = url;
    this.chats = new Chats({
      get transport() {
        return connection.transport;
      },
      replace: () => connection.replace(),
      retryLater: (transport, fn) => this.retryLater(transport, fn),
      joinedBy: (id) => {
        if (this.wanted.has(id)) this.joined.add(id);
      },
      foreignFrame: (frame) => this.events.emit('chat_response', frame),
    });
    const connection = new Connection(url, resolveOptions(options), {
      onOpen: (transport) => {
        this.resync(transport);
        this.setState('open');
      },
      onEvent: (event, data) => this.onEvent(event, data),
      onLost: () => this.setState('reconnecting'),
      onAttemptFailed: (error) => this.events.emit('error', error),
      onGone: (error) => this.shutdown(error),
    });
    this.connection = connection;
  }

  /** The connection state; `state` events report its changes. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Call `handler` for every `event`; returns the function that unsubscribes it. */
  on<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void {
    return this.events.on(event, handler);
  }

  /** Stop calling `handler`. */
  off<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): void {
    this.events.off(event, handler);
  }

  /**
   * Send a chat_message and iterate its frames up to the stop. `data` goes upstream unchanged
   * plus a `request_id` (a new UUID when it has none), which makes re-sending it safe. A
   * conversation it names is rejoined after reconnects, as if joined with {@link join}.
   */
  chat(data: Record<string, unknown>, options: ChatOptions = {}): ChatStream {
    this.assertOpen();
    const given = data.request_id;
    const requestId = typeof given === 'string' && given !== '' ? given : createRequestId();
    const message = { ...data, request_id: requestId };
    const stream = this.chats.track(requestId, -1, message, options.signal);
    const conversationId = toConversationId(message);
    if (conversationId !== undefined && !stream.finished) this.wanted.add(conversationId);
    return stream;
  }

  /** Follow a stream started elsewhere (another tab, a `user_message`), from `afterSeq` on. */
  resume(requestId: string, options: ResumeOptions = {}): ChatStream {
    this.assertOpen();
    const { afterSeq = -1, signal, resumeToken } = options;
    return this.chats.track(requestId, afterSeq, undefined, signal, resumeToken);
  }

  /** Join a conversation (rejoined after every reconnect until left); resolves with the ack. */
  async join(conversationId: string): Promise<ConversationAck> {
    this.wanted.add(conversationId);
    const ack = await this.call('join', { conversation_id: conversationId });
    if (this.wanted.has(conversationId)) this.joined.add(conversationId);
    return ack as ConversationAck;
  }

  /** Leave a conversation; resolves with the ack. */
  async leave(conversationId: string): Promise<ConversationAck> {
    this.wanted.delete(conversationId);
    this.joined.delete(conversationId);
    return (await this.call('leave', { conversation_id: conversationId })) as ConversationAck;
  }

  /**
   * Close the connection for good. Running chats end with a `closed` error; on the bridge they
   * stay resumable for its grace period (abort their signals first to cancel them).
   */
  close(): void {
    this.shutdown(new ClientError('closed', 'the client was closed'));
  }

  private assertOpen(): void {
    if (this.currentState === 'closed') throw new ClientError('closed', 'the client is closed');
  }

  private call(event: string, data: unknown): Promise<unknown> {
    if (this.currentState === 'closed') {
      return Promise.reject(new ClientError('closed', 'the client is closed'));
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = { event, data, resolve, reject, sentOn: undefined };
      this.calls.add(call);
      const transport = this.connection.transport;
      if (transport) this.sendCall(call, transport);
    });
  }

  private sendCall(call: PendingCall, transport: Transport): void {
    call.sentOn = transport;
    transport.request(call.event, call.data).then(
      (answer) => {
        this.calls.delete(call);
        call.resolve(answer);
      },
      (error: unknown) => {
        const code = codeOf(error);
        if (code === 'connection_lost') {
          if (call.sentOn === transport) call.sentOn = undefined;
        } else if (code === 'rate_limited') {
          this.retryLater(transport, (t) => this.sendCall(call, t));
        } else {
          this.calls.delete(call);
          call.reject(error);
        }
      },
    );
  }

  /** Run `fn` on `transport` a little later, if it is still open (else the resync does it). */
  private retryLater(transport: Transport, fn: (transport: Transport) => void): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (transport === this.connection.transport) fn(transport);
    }, DEFAULT_RATE_LIMIT_RETRY_MS);
    this.retryTimers.add(timer);
  }

  /** A new connection opened: carry everything over to it. */
  private resync(transport: Transport): void {
    // Streams first: a conversation rejoined before its stream's resume would deliver that
    // stream's live frames ahead of the frames the resume replays.
    this.chats.syncAll(transport);
    for (const id of this.joined) {
      transport.request('join', { conversation_id: id }).catch((error: unknown) => {
        if (codeOf(error) !== 'connection_lost' && error instanceof ClientError) {
          this.events.emit('error', error);
        }
      });
    }
    for (const call of this.calls) if (call.sentOn !== transport) this.sendCall(call, transport);
  }

  private onEvent(event: string, data: unknown): void {
    switch (event) {
      case 'chat_response': {
        const frame = data as ChatResponse | undefined;
        if (typeof frame?.request_id === 'string' && typeof frame.seq === 'number') {
          this.chats.onFrame(frame);
        }
        return;
      }
      case 'presence':
        return this.events.emit('presence', data as Presence);
      case 'user_message':
        return this.events.emit('user_message', data as UserMessage);
      case 'error':
        return this.events.emit('error', fromErrorPayload(data));
      case 'server_shutdown':
        // The server is draining: move to another instance, keeping this one until then.
        return this.connection.replace();
    }
  }

  private shutdown(error: ClientError): void {
    if (this.currentState === 'closed') return;
    this.setState('closed');
    this.connection.close();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.chats.failAll(error);
    for (const call of this.calls) call.reject(error);
    this.calls.clear();
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.events.emit('state', state);
  }
}

/**
 * Connect to a bridge at `url` (`http(s)://host:port`). The returned client reconnects by itself
 * and resumes every unfinished chat; `close()` it when done.
 */
export function connect(url: string, options: ConnectOptions): BridgeClient {
  return new BridgeClient(url, options);
}
