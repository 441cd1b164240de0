/**
 * Fake SSE upstreams: real HTTP servers on port 0 whose answers each test scripts, writing
 * `text/event-stream` chunk by chunk.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake upstream received. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Resolves when the bridge closed (or finished) this request's connection. */
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** A running fake upstream. */
export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  /** Resolves with the nth request (0-based) once it arrived. */
  request(n: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export type UpstreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>;

/** Start a fake upstream that answers every request with `handler`. */
export async function startFakeUpstream(handler: UpstreamHandler): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: (r: RecordedRequest) => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let closed = false;
      const closedPromise = new Promise<void>((resolve) =>
        res.on('close', () => {
          closed = true;
          resolve();
        }),
      );
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        closed: closedPromise,
        isClosed: () => closed,
      };
      requests.push(recorded);
      for (const w of waiters.filter((w) => w.n < requests.length)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests[w.n] as RecordedRequest);
      }
      Promise.resolve(handler(req, res, recorded)).catch(() => res.destroy());
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    get connections() {
      return connections;
    },
    url: `http://127.0.0.1:${port}/chat`,
    requests,
    request(n) {
      const existing = requests[n];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Write an SSE response head. */
export function sseHead(res: ServerResponse, contentType = 'text/event-stream'): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  res.flushHeaders();
}

/** Write `body` split into the given pieces (byte offsets decide the split), pausing between. */
export async function writeInChunks(
  res: ServerResponse,
  body: string | Buffer,
  chunkBytes: number,
  delayMs = 1,
): Promise<void> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  for (let i = 0; i < bytes.length; i += chunkBytes) {
    if (res.destroyed) return;
    res.write(bytes.subarray(i, i + chunkBytes));
    await sleep(delayMs);
  }
}

/** A handler that streams `body` (SSE) in `chunkBytes` pieces then ends. */
export function sseBody(
  body: string | Buffer,
  chunkBytes = 7,
  contentType?: string,
): UpstreamHandler {
  return async (_req, res) => {
    sseHead(res, contentType);
    await writeInChunks(res, body, chunkBytes);
    res.end();
  };
}

/** `data: <json>\n\n` for each value. */
export function sseFrames(...values: unknown[]): string {
  return values.map((v) => `data: ${JSON.stringify(v)}\n\n`).join('');
}
