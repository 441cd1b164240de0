/**
 * The Socket.IO transport: socket.io-client over its WebSocket transport (the one every runtime
 * of the bridge supports), with its own reconnection off: the client decides when to reconnect,
 * the same way for both protocols. Socket.IO's heartbeat notices a dead server.
 *
 * socket.io-client is an optional peer dependency: it is loaded on the first Socket.IO connect,
 * so `protocol: 'ws'` users need not install it.
 */
import type * as SocketIoClient from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { ClientError, fromErrorPayload } from './errors.ts';
import type { ResolvedOptions } from './options.ts';
import type { PendingRequest, Transport, TransportHandlers } from './transport.ts';

function isErrorAnswer(answer: unknown): answer is { error: unknown } {
  return typeof answer === 'object' && answer !== null && 'error' in answer;
}

let loading: Promise<typeof SocketIoClient> | undefined;

/** socket.io-client, imported once; a failed import is retried by the next connect. */
function loadSocketIoClient(): Promise<typeof SocketIoClient> {
  loading ??= import('socket.io-client').catch((error: unknown) => {
    loading = undefined;
    throw new ClientError(
      'connect_failed',
      'protocol "socketio" needs the socket.io-client package: npm install socket.io-client',
      { cause: error },
    );
  });
  return loading;
}

/** Connect socket.io-client and report through `handlers`. */
export function createSocketIoTransport(
  url: string,
  options: ResolvedOptions,
  handlers: TransportHandlers,
): Transport {
  const token = options.auth?.token;
  let socket: Socket | undefined;
  const pending = new Set<PendingRequest>();
  let finished = false;
  /**
   * The bridge answers a refused request with an `error` event and then the error ack; on `/ws`
   * only the ack comes. The event is held until the next packet shows whether it was that ack.
   */
  let heldError: unknown;

  const releaseHeldError = (): void => {
    if (heldError === undefined) return;
    const payload = heldError;
    heldError = undefined;
    handlers.onEvent('error', payload);
  };
  const finish = (error?: ClientError): void => {
    if (finished) return;
    finished = true;
    releaseHeldError();
    socket?.removeAllListeners();
    socket?.offAny();
    const lost = new ClientError('connection_lost', 'the connection closed before the answer');
    for (const request of pending) request.reject(lost);
    pending.clear();
    if (error) handlers.onClose(error);
  };

  const listen = (socket: Socket): void => {
    socket.on('connect', () => handlers.onOpen());
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      // A refused handshake carries the bridge's {code, message} (unauthorized, server_busy, …).
      const refused = error.data === undefined ? undefined : fromErrorPayload(error.data);
      finish(refused ?? new ClientError('connect_failed', error.message, { cause: error }));
      socket.disconnect();
    });
    socket.on('disconnect', (reason: string) => {
      finish(new ClientError('connection_lost', reason, { details: { reason } }));
    });
    socket.onAny((event: string, data: unknown) => {
      if (event === 'error' && pending.size > 0 && heldError === undefined) {
        heldError = data;
        return;
      }
      releaseHeldError();
      handlers.onEvent(event, data);
    });
  };

  loadSocketIoClient().then(
    ({ io }) => {
      if (finished) return;
      socket = io(url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: options.connectTimeoutMs,
        auth: token === undefined ? {} : { token },
      });
      listen(socket);
    },
    (error: unknown) => finish(error as ClientError),
  );

  return {
    request(event, data) {
      return new Promise((resolve, reject) => {
        if (finished || !socket?.connected) {
          reject(new ClientError('connection_lost', 'the connection is not open'));
          return;
        }
        const request: PendingRequest = { resolve, reject };
        pending.add(request);
        socket.emit(event, data, (answer: unknown) => {
          if (!pending.delete(request)) return;
          if (isErrorAnswer(answer)) {
            const error = fromErrorPayload(answer.error);
            const held = heldError as { code?: unknown } | undefined;
            if (held?.code === error.code) heldError = undefined;
            reject(error);
          } else {
            resolve(answer);
          }
          releaseHeldError();
        });
      });
    },
    close() {
      if (finished) return;
      finish();
      socket?.disconnect();
    },
  };
}
