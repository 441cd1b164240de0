/**
 * Records one HTTP exchange from the socket up: the request is written by hand and every byte
 * the server sends is kept as it arrived, transfer framing included, so a fixture shows what a
 * client really receives (chunk sizes, CR/LF, a connection cut mid-chunk).
 */
import { connect } from 'node:net';
import type { PeerFixtureRequest } from '../../test/helpers/peer-fixtures.ts';

/** What to do while a response streams in. */
export interface CaptureOptions {
  port: number;
  request: PeerFixtureRequest;
  /** Runs once the response head arrived (nchan's publishes); resolves with notes for the header. */
  whileStreaming?: () => Promise<string[]>;
  /** Kill the server once `marker` arrived: a stream that dies mid-answer. Returns a note. */
  killAfter?: { marker: string; kill: () => string };
  timeoutMs: number;
}

/** The bytes received and how the connection ended. */
export interface Capture {
  raw: Buffer;
  sideRequests: string[];
  /** Set when the recorder killed the server mid-answer. */
  killNote?: string;
  /** A socket error the client saw (ECONNRESET after a kill). */
  socketError?: string;
}

/** The request's bytes: HTTP/1.1, `Connection: close` so a finished answer ends the socket. */
export function toRequestBytes(port: number, request: PeerFixtureRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n')), body ?? Buffer.alloc(0)]);
}

/** Send `request` and keep everything received until the server closes the connection. */
export function capture(options: CaptureOptions): Promise<Capture> {
  const { port, request, whileStreaming, killAfter, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const result: Capture = { raw: Buffer.alloc(0), sideRequests: [] };
    let side: Promise<void> | undefined;
    const socket = connect(port, '127.0.0.1', () => socket.write(toRequestBytes(port, request)));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end after ${timeoutMs} ms (${Buffer.concat(chunks).length} bytes)`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const received = Buffer.concat(chunks);
      if (!side && whileStreaming && received.includes('\r\n\r\n')) {
        side = whileStreaming().then(
          (notes) => void result.sideRequests.push(...notes),
          (err: unknown) => {
            socket.destroy();
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
      if (killAfter && result.killNote === undefined && received.includes(killAfter.marker)) {
        result.killNote = killAfter.kill();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      result.socketError = err.code ?? err.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      result.raw = Buffer.concat(chunks);
      void Promise.resolve(side).then(() => resolve(result));
    });
  });
}
