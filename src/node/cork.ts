/**
 * Write batching: the frames parsed from one upstream chunk are sent in one synchronous run, and
 * each WebSocket send would otherwise be its own `writev` system call (the largest single cost of
 * relaying a frame). Corking the TCP socket on the first send of a tick and uncorking it on the
 * next tick turns those sends into one write, without delaying anything past the current tick.
 */
import type { Socket } from 'node:net';

/**
 * A corked batch is written once it holds this much, without waiting for the tick to end: when
 * the upstream body is buffered, one tick can parse a whole flood, and holding all of it would
 * spike memory.
 */
export const DEFAULT_CORK_LIMIT_BYTES = 64 * 1024;

/** Corked sockets, with the bytes they already held unwritten when the batch began. */
const batches = new WeakMap<Socket, number>();

function uncork(socket: Socket): void {
  batches.delete(socket);
  socket.uncork();
}

/** Hold `socket`'s writes until the end of this tick (a no-op when already held). */
export function corkForTick(socket: Socket | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  if (batches.has(socket)) {
    if (socket.writableLength - (batches.get(socket) ?? 0) >= DEFAULT_CORK_LIMIT_BYTES) {
      socket.uncork();
      socket.cork();
      batches.set(socket, socket.writableLength);
    }
    return;
  }
  batches.set(socket, socket.writableLength);
  socket.cork();
  process.nextTick(uncork, socket);
}

/**
 * Bytes of the current batch (0 outside one). Send-buffer checks subtract them: data held back by
 * our own batching for the rest of a tick is not data the client failed to read, and counting it
 * would make every client look slow after a few large frames.
 */
export function batchedBytes(socket: Socket | undefined): number {
  if (socket === undefined) return 0;
  const before = batches.get(socket);
  return before === undefined ? 0 : Math.max(0, socket.writableLength - before);
}

/**
 * The TCP socket under a `ws` WebSocket. `ws` keeps it in `_socket` (private, but present from ws
 * 7 to 8); anything else yields undefined, and sends then simply go unbatched.
 */
export function tcpSocketOf(ws: unknown): Socket | undefined {
  const socket = (ws as { _socket?: unknown } | undefined)?._socket;
  return typeof (socket as Socket | undefined)?.cork === 'function'
    ? (socket as Socket)
    : undefined;
}
