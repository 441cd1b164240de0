/**
 * One Socket.IO client of the bridge on Node: the connection its session sends through, as one
 * object (no closures of its own) with listeners shared by every connection, so an idle client
 * costs little more than socket.io's own state. Frames go out pre-encoded (socketio-packet.ts).
 */
import type { Socket } from 'socket.io';
import {
  toSocketIoAnswer,
  toSocketIoEventText,
  receiveFromClient,
  type ClientConnection,
  type Session,
} from '../core/index.ts';
import { batchedBytes, corkForTick, tcpSocketOf } from './cork.ts';

/** The parts of an engine.io connection the bridge drives. */
export interface EngineConnection extends NodeJS.EventEmitter {
  readyState: string;
  transport?: { socket?: { bufferedAmount?: number } };
  write(data: string): void;
}

type Ack = (payload: unknown) => void;

/**
 * Each engine.io connection's bridge client, for the shared listeners (a socket's listeners find it
 * through `socket.conn`: one entry per client, not two).
 */
const clients = new WeakMap<object, SocketIoClient>();

/**
 * Engine.IO sent its queue (the whole of it): nothing of ours waits there now. Each flush is
 * corked, so queued packets leave in one TCP write (see cork.ts).
 */
function onFlush(this: EngineConnection): void {
  const client = clients.get(this);
  if (client) client.queued = 0;
  corkForTick(tcpSocketOf(this.transport?.socket));
}

/** A client event, with its ack when it asked for one. */
function onAnyEvent(this: Socket, event: string, ...args: unknown[]): void {
  const session = clients.get(this.conn)?.session;
  if (!session) return;
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (args.pop() as Ack) : undefined;
  receiveFromClient(session, event, args[0], ack && toSocketIoAnswer(ack, session.connection));
}

function onDisconnect(this: Socket): void {
  clients.get(this.conn)?.session?.close();
}

/** A connected Socket.IO client: its session's connection. */
export class SocketIoClient implements ClientConnection {
  /** Bytes of our packets engine.io holds unsent (emptied by its 'flush', which takes them all). */
  queued = 0;
  /** The session, once opened (its messages go in through receiveFromClient: no port kept). */
  session: Session | undefined;
  readonly #socket: Socket;
  readonly #conn: EngineConnection;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.#conn = socket.conn as unknown as EngineConnection;
    clients.set(this.#conn, this);
  }

  // Getters, not fields of every connection: socket.io keeps the handshake's address anyway.
  get protocol(): 'socketio' {
    return 'socketio';
  }

  get remoteAddress(): string {
    return this.#socket.handshake.address;
  }

  /** Take the session and start listening to the client. */
  listen(session: Session): void {
    this.session = session;
    this.#conn.on('flush', onFlush);
    this.#socket.onAny(onAnyEvent);
    this.#socket.on('disconnect', onDisconnect);
  }

  /**
   * What socket.emit writes, without socket.io-parser serialising each frame again per socket (its
   * hasBinary walk and encode were 4 % of the CPU): the packet text is made once and written to
   * engine.io as socket.io's own broadcasts write pre-encoded packets.
   */
  send(event: string, data?: unknown): void {
    const conn = this.#conn;
    if (conn.readyState !== 'open') return;
    const text = toSocketIoEventText(this.#socket.nsp.name, event, data);
    this.queued += text.length;
    conn.write(text);
  }

  /**
   * Bytes its client has not taken yet: our packets engine.io still queues (long-polling waits for
   * the next GET; WebSocket waits for the previous write) plus what the WebSocket has not written
   * to the TCP socket. Counted as they are written rather than summed per frame: summing the queue
   * was O(queue) per frame, 7 % of the CPU at saturation.
   */
  bufferedBytes(): number {
    const ws = this.#conn.transport?.socket;
    return (ws?.bufferedAmount ?? 0) - batchedBytes(tcpSocketOf(ws)) + this.queued;
  }

  close(): void {
    this.#socket.disconnect(true);
  }
}
