/**
 * The server side of Socket.IO v4 over one accepted WebSocket, for runtimes without the socket.io
 * server (Workers): Engine.IO v4 framing and heartbeat, Socket.IO v5 packets on one namespace ("/"
 * unless the options name another, as a profile may),
 * both through the official parsers. Runtime adapters hand the socket's text frames to the
 * {@link SocketIoListener} that {@link acceptSocketIo} returns; it answers through the transport.
 */
import {
  decodePacket,
  encodePacket,
  type Packet as EnginePacket,
  type PacketType as EnginePacketType,
} from 'engine.io-parser';
import { Decoder, Encoder, type Packet, PacketType } from 'socket.io-parser';
import { exceedsBytes } from '../internal/bytes.ts';
import { withTimestamp } from '../internal/timestamp.ts';
import { BridgeError, ERROR_TABLE, toBridgeError, WS_CLOSE } from '../internal/errors.ts';
import type { ClientConnection } from '../session/session.ts';
import type { Answer } from './client-port.ts';
import { toSocketIoAnswer } from './reply.ts';
import { toSocketIoEventText } from './socketio-packet.ts';
import {
  DEFAULT_MAX_HELD_PACKETS,
  DEFAULT_SOCKET_IO_CONNECT_TIMEOUT_MS,
  type SocketIoConnectHandler,
  type SocketIoListener,
  type SocketIoProtocolOptions,
  type SocketIoReceiver,
  type SocketIoTransport,
  TIMEOUT_CLOSE_CODE,
} from './socketio-contracts.ts';
import { cancelTimer } from '../internal/timers.ts';

/** Engine.IO text of one packet; string packets are encoded synchronously. */
function toEngineText(type: EnginePacketType, data?: string): string {
  let text: unknown;
  encodePacket(data === undefined ? { type } : { type, data }, false, (encoded) => {
    text = encoded;
  });
  if (typeof text !== 'string') throw new BridgeError('internal_error', 'packet is not text');
  return text;
}

/** One client connection to the namespace. */
interface NamespaceSocket {
  receiver: SocketIoReceiver | undefined;
  /** What emits to this client (given to the connect handler). */
  connection?: ClientConnection;
  /** Events emitted before the CONNECT reply went out (inside the connect handler), as text. */
  early: string[] | undefined;
  active: boolean;
}

/**
 * Serve Socket.IO on an accepted WebSocket: sends the Engine.IO OPEN packet and starts the
 * heartbeat. Event data must be JSON values (no binary attachments).
 */
export function acceptSocketIo(
  transport: SocketIoTransport,
  options: SocketIoProtocolOptions,
  onConnect: SocketIoConnectHandler,
): SocketIoListener {
  const nsp = options.namespace ?? '/';
  const encoder = new Encoder();
  const decoder = new Decoder();
  let decoded: Packet | undefined;
  decoder.on('decoded', (packet) => {
    decoded = packet;
  });
  let closed = false;
  let current: NamespaceSocket | undefined;
  /** Socket.IO packets that arrived while an async connect handler ran; replayed after it. */
  let held: Packet[] | undefined;
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;

  const sendEngine = (type: EnginePacketType, data?: string): void => {
    if (!closed) transport.send(toEngineText(type, data));
  };
  const sendPacket = (packet: Packet): void => {
    for (const part of encoder.encode(packet)) sendEngine('message', part);
  };
  const refuse = (message: string): void => {
    const payload = withTimestamp(new BridgeError('bad_message', message).toPayload());
    sendPacket({ type: PacketType.EVENT, nsp, data: ['error', payload] });
  };

  const leave = (): void => {
    const socket = current;
    current = undefined;
    if (!socket) return;
    socket.active = false;
    socket.receiver?.close();
  };
  const shutdown = (code?: number, reason?: string): void => {
    if (closed) return;
    closed = true;
    cancelTimer(pingTimer);
    cancelTimer(pongTimer);
    cancelTimer(connectTimer);
    decoder.destroy();
    leave();
    if (code !== undefined) transport.close(code, reason);
  };

  const connectTimer = setTimeout(
    () => shutdown(TIMEOUT_CLOSE_CODE, 'connect timeout'),
    options.connectTimeoutMs ?? DEFAULT_SOCKET_IO_CONNECT_TIMEOUT_MS,
  );

  const schedulePing = (): void => {
    pingTimer = setTimeout(() => {
      sendEngine('ping');
      pongTimer = setTimeout(
        () => shutdown(TIMEOUT_CLOSE_CODE, 'ping timeout'),
        options.pingTimeoutMs,
      );
    }, options.pingIntervalMs);
  };

  const connect = (packet: Packet): void => {
    if (packet.nsp !== nsp) {
      sendPacket({
        type: PacketType.CONNECT_ERROR,
        nsp: packet.nsp,
        data: { message: 'Invalid namespace' },
      });
      return;
    }
    if (current) return refuse(`already connected to namespace "${nsp}"`);
    const socket: NamespaceSocket = { receiver: undefined, early: [], active: true };
    const connection: ClientConnection = {
      protocol: 'socketio',
      send(event, data) {
        if (!socket.active) return;
        const out = toSocketIoEventText(nsp, event, data);
        if (socket.early) socket.early.push(out);
        else sendEngine('message', out);
      },
      // As Node's socket.disconnect(true): a DISCONNECT packet (the client sees "io server
      // disconnect"), then the transport closes with the code.
      close(code, reason) {
        if (socket.active && !socket.early) sendPacket({ type: PacketType.DISCONNECT, nsp });
        shutdown(code, reason);
      },
    };
    socket.connection = connection;
    const fail = (error: unknown): void => {
      socket.active = false;
      const { message, ...data } = toBridgeError(error).toPayload();
      sendPacket({ type: PacketType.CONNECT_ERROR, nsp, data: { message, data } });
    };
    const join = (receiver: SocketIoReceiver): void => {
      // The transport went away while an async handler ran: the receiver has nobody to serve.
      if (closed) {
        socket.active = false;
        return receiver.close();
      }
      socket.receiver = receiver;
      cancelTimer(connectTimer);
      current = socket;
      sendPacket({ type: PacketType.CONNECT, nsp, data: { sid: crypto.randomUUID() } });
      const early = socket.early ?? [];
      socket.early = undefined;
      for (const out of early) sendEngine('message', out);
    };
    let result: SocketIoReceiver | Promise<SocketIoReceiver>;
    try {
      result = onConnect((packet.data as Record<string, unknown> | undefined) ?? {}, connection);
    } catch (error) {
      return fail(error);
    }
    if (!(result instanceof Promise)) return join(result);
    held = [];
    const release = (): void => {
      const packets = held ?? [];
      held = undefined;
      if (!closed) for (const next of packets) dispatch(next);
    };
    result
      .then(join, fail)
      .then(release, release)
      .catch(() => shutdown(ERROR_TABLE.internal_error.close, 'internal error'));
  };

  const event = (packet: Packet): void => {
    const socket = current;
    if (packet.nsp !== nsp || !socket?.receiver) return refuse('not connected to this namespace');
    const [name, data] = packet.data as unknown[];
    if (typeof name !== 'string') return refuse('event name must be a string');
    const id = packet.id;
    const errors = socket.receiver.connection ?? socket.connection;
    if (!errors) return refuse('not connected to this namespace');
    const answer: Answer | undefined =
      id === undefined
        ? undefined
        : toSocketIoAnswer((value) => {
            if (socket.active) sendPacket({ type: PacketType.ACK, nsp, id, data: [value] });
          }, errors);
    socket.receiver.receive(name, data, answer);
  };

  const onSocketIoText = (text: string): void => {
    let packet: Packet | undefined;
    try {
      decoder.add(text);
      packet = decoded;
    } catch {
      return refuse('message is not a Socket.IO packet');
    } finally {
      decoded = undefined;
    }
    if (!packet) {
      // A BINARY_EVENT header: the decoder now waits for attachments this transport never carries.
      decoder.destroy();
      return refuse('binary attachments are not supported');
    }
    dispatch(packet);
  };

  const dispatch = (packet: Packet): void => {
    if (held) {
      if (held.length >= DEFAULT_MAX_HELD_PACKETS) return refuse('too many packets before connect');
      held.push(packet);
      return;
    }
    switch (packet.type) {
      case PacketType.CONNECT:
        return connect(packet);
      case PacketType.EVENT:
        return event(packet);
      case PacketType.DISCONNECT:
        if (packet.nsp === nsp) leave();
        return;
      default:
        return refuse(`Socket.IO packet type ${packet.type} is not accepted from clients`);
    }
  };

  const onText = (text: string): void => {
    if (closed) return;
    if (exceedsBytes(text, options.maxPayloadBytes)) {
      return shutdown(ERROR_TABLE.message_too_big.close, 'message too big');
    }
    let packet: EnginePacket;
    try {
      packet = decodePacket(text);
    } catch {
      // The Node build decodes base64 ("b…") packets with Buffer, which Workers may lack.
      return refuse('binary messages are not supported');
    }
    switch (packet.type) {
      case 'message':
        if (typeof packet.data !== 'string') return refuse('binary messages are not supported');
        return onSocketIoText(packet.data);
      case 'pong':
        cancelTimer(pongTimer);
        if (pongTimer !== undefined) schedulePing();
        pongTimer = undefined;
        return;
      case 'close':
        return shutdown(WS_CLOSE.normal, 'client closed');
      case 'noop':
        return;
      case 'error':
        return refuse('message is not an Engine.IO packet');
      default:
        return refuse(`Engine.IO packet type "${packet.type}" is not accepted from clients`);
    }
  };

  sendEngine(
    'open',
    JSON.stringify({
      sid: crypto.randomUUID(),
      upgrades: [],
      pingInterval: options.pingIntervalMs,
      pingTimeout: options.pingTimeoutMs,
      maxPayload: options.maxPayloadBytes,
    }),
  );
  schedulePing();

  return {
    onText,
    onBinary() {
      if (!closed) refuse('binary messages are not supported');
    },
    onClose() {
      shutdown();
    },
  };
}
