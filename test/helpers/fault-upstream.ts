/**
 * A scripted SSE upstream for fault tests: a real HTTP server on port 0 that picks each request's
 * behaviour by the `scenario` field of its JSON body, so one bridge can run a failing stream next
 * to healthy ones. It answers with `Connection: close` (a finished request then leaves no pooled
 * keep-alive socket behind to mistake for a leak), and it can stop accepting connections while the
 * ones it has keep streaming (a refused connect next to running streams).
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RecordedRequest, sleep, sseHead, type UpstreamHandler } from './fake-upstream.ts';

/** A running scenario upstream. */
export interface ScenarioUpstream {
  url: string;
  requests: RecordedRequest[];
  /** The request the bridge sent for `requestId` (its `X-Request-Id`), once it arrived. */
  requestFor(requestId: string): Promise<RecordedRequest>;
  /** TCP connections open on the upstream's side right now. */
  openSockets(): number;
  /** Stop accepting connections (new connects are refused); open ones carry on. */
  stopListening(): void;
  close(): Promise<void>;
}

/** Start an upstream answering each request with `scenarios[body.scenario ?? 'healthy']`. */
export async function startScenarioUpstream(
  scenarios: Record<string, UpstreamHandler>,
): Promise<ScenarioUpstream> {
  const requests: RecordedRequest[] = [];
  const waiters = new Map<string, Array<(r: RecordedRequest) => void>>();
  const byId = new Map<string, RecordedRequest>();
  const sockets = new Set<Socket>();
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
      const requestId = String(req.headers['x-request-id'] ?? '');
      byId.set(requestId, recorded);
      for (const resolve of waiters.get(requestId) ?? []) resolve(recorded);
      waiters.delete(requestId);
      let scenario = 'healthy';
      try {
        const body = JSON.parse(recorded.body) as { scenario?: unknown };
        if (typeof body.scenario === 'string') scenario = body.scenario;
      } catch {
        // not JSON: the healthy answer
      }
      const handler = scenarios[scenario];
      res.setHeader('connection', 'close');
      if (!handler) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`no scenario "${scenario}"`);
        return;
      }
      Promise.resolve(handler(req, res, recorded)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const serverClosed = once(server, 'close');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/chat`,
    requests,
    requestFor(requestId) {
      const existing = byId.get(requestId);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => {
        const list = waiters.get(requestId) ?? [];
        list.push(resolve);
        waiters.set(requestId, list);
      });
    },
    openSockets: () => sockets.size,
    stopListening() {
      if (server.listening) server.close();
    },
    async close() {
      if (server.listening) server.close();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    },
  };
}

/** Resolves once `res` can take more (or is gone); leaves no listener behind either way. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `data: <json>\n\n` of a text frame. */
export const textEvent = (data: string): string =>
  `data: ${JSON.stringify({ type: 'text', content: { data } })}\n\n`;

/** Streams `count` text frames (`h0`, `h1`, ...) `everyMs` apart, then its own stop. */
export function finiteStream(count: number, everyMs: number): UpstreamHandler {
  return async (_req, res) => {
    sseHead(res);
    for (let i = 0; i < count && !res.destroyed; i++) {
      res.write(textEvent(`h${i}`));
      await sleep(everyMs);
    }
    if (!res.destroyed) res.end('data: {"type":"stop"}\n\n');
  };
}

/** Streams a text frame every `everyMs` until the bridge hangs up. */
export function endlessStream(everyMs: number): UpstreamHandler {
  return async (_req, res) => {
    sseHead(res);
    for (let i = 0; !res.destroyed; i++) {
      res.write(textEvent(`e${i}`));
      await sleep(everyMs);
    }
  };
}

/** Writes frames of about `frameBytes` as fast as the socket takes them, until the bridge hangs up. */
export function firehose(frameBytes: number): UpstreamHandler {
  return async (_req, res) => {
    sseHead(res);
    const padding = 'x'.repeat(frameBytes);
    for (let i = 0; !res.destroyed; i++) {
      if (!res.write(textEvent(`${i} ${padding}`))) await drained(res);
    }
  };
}
