/**
 * The plain WebSocket transport: `<url>/ws`, the `{event, data, id}` envelope, acks matched by
 * `id`, and a JSON ping heartbeat that notices a server that went away without closing.
 */
import { ClientError, fromErrorPayload } from './errors.ts';
import type { ResolvedOptions, WebSocketConstructor, WebSocketLike } from './options.ts';
import type { PendingRequest, Transport, TransportHandlers } from './transport.ts';

/** A close code of the application range: the heartbeat gave up on the server. */
const CLOSE_HEARTBEAT_TIMEOUT = 4000;
const OPEN = 1;

/** The event-handler half of a WebSocket; kept out of {@link WebSocketLike} so `ws` fits it. */
interface WebSocketEvents extends WebSocketLike {
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  /** `ws` only: drop the TCP connection without a closing handshake. */
  terminate?: () => void;
}

/** `http(s)://host/base` → `ws(s)://host/base/ws?token=…`. */
export function toWsUrl(url: string, token?: string): string {
  const target = new URL(url);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  target.pathname = `${target.pathname.replace(/\/+$/, '')}/ws`;
  if (token !== undefined) target.searchParams.set('token', token);
  return target.toString();
}

/** The WebSocket class to use, or a TypeError saying how to provide one. */
export function toWebSocketClass(given?: WebSocketConstructor): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!found) {
    throw new TypeError(
      'sse2ws/client: no global WebSocket here; pass one, e.g. connect(url, { protocol: "ws", WebSocket }) with WebSocket from the "ws" package',
    );
  }
  return found;
}

/** Open `/ws` and report through `handlers`. */
export function createWsTransport(
  url: string,
  options: ResolvedOptions,
  handlers: TransportHandlers,
): Transport {
  const WebSocketClass = toWebSocketClass(options.WebSocket);
  const socket = new WebSocketClass(toWsUrl(url, options.auth?.token)) as WebSocketEvents;
  const pending = new Map<number, PendingRequest>();
  let nextId = 1;
  let opened = false;
  let finished = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let pongDeadline: ReturnType<typeof setTimeout> | undefined;
  const connectDeadline = setTimeout(
    () => kill(new ClientError('connect_failed', 'the connection did not open in time')),
    options.connectTimeoutMs,
  );

  const finish = (error?: ClientError): void => {
    if (finished) return;
    finished = true;
    clearTimeout(connectDeadline);
    clearInterval(heartbeat);
    clearTimeout(pongDeadline);
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Kept: `ws` throws an 'error' event that has no listener (e.g. closing while connecting).
    socket.onerror = () => {};
    const lost = new ClientError('connection_lost', 'the connection closed before the answer');
    for (const request of pending.values()) request.reject(lost);
    pending.clear();
    if (error) handlers.onClose(error);
  };
  const kill = (error: ClientError): void => {
    finish(error);
    if (socket.terminate) socket.terminate();
    else socket.close(CLOSE_HEARTBEAT_TIMEOUT, error.message);
  };
  const sendText = (text: string): boolean => {
    if (finished || socket.readyState !== OPEN) return false;
    socket.send(text);
    return true;
  };

  socket.onopen = () => {
    opened = true;
    clearTimeout(connectDeadline);
    heartbeat = setInterval(() => {
      if (pongDeadline !== undefined) return;
      pongDeadline = setTimeout(
        () => kill(new ClientError('heartbeat_timeout', 'the server did not answer a ping')),
        options.heartbeatTimeoutMs,
      );
      sendText('{"event":"ping"}');
    }, options.heartbeatIntervalMs);
    handlers.onOpen();
  };
  socket.onmessage = (event) => {
    // Any message shows the server is alive, not only the pong.
    clearTimeout(pongDeadline);
    pongDeadline = undefined;
    let message: { event?: unknown; data?: unknown; id?: unknown };
    try {
      message = JSON.parse(String(event.data)) as typeof message;
    } catch {
      return;
    }
    if (typeof message.id === 'number' && (message.event === 'ack' || message.event === 'error')) {
      const request = pending.get(message.id);
      pending.delete(message.id);
      if (message.event === 'ack') request?.resolve(message.data);
      else request?.reject(fromErrorPayload(message.data));
      return;
    }
    if (message.event === 'pong' || typeof message.event !== 'string') return;
    handlers.onEvent(message.event, message.data);
  };
  socket.onclose = (event) => {
    const details = { closeCode: event.code, reason: event.reason };
    finish(
      opened
        ? new ClientError('connection_lost', `closed with ${event.code}`, { details })
        : new ClientError('connect_failed', `could not connect (${event.code})`, { details }),
    );
  };
  socket.onerror = () => {};

  return {
    request(event, data) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        if (!sendText(JSON.stringify({ event, data, id }))) {
          pending.delete(id);
          reject(new ClientError('connection_lost', 'the connection is not open'));
        }
      });
    },
    close() {
      if (finished) return;
      finish();
      socket.close(1000, 'client closed');
    },
  };
}
