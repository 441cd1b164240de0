/**
 * sse2ws as a library: `createBridge` attached to an application's own HTTP server and to its own
 * Socket.IO namespace, and each hook changing what the client sees.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { io as connectIo } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { BridgeError, createBridge, type CreateBridgeOptions } from 'sse2ws';
import { ADMIN, admin } from '../helpers/admin.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs, Inbox } from '../helpers/clients.ts';
import { sseBody, sseFrames, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

const ANSWER = sseFrames(
  { type: 'text', content: { data: 'Hel' } },
  { type: 'debug', content: { tokens: 3 } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop' },
);

async function answerUpstream(body = ANSWER) {
  const upstream = await startFakeUpstream(sseBody(body));
  onCleanup(() => upstream.close());
  return upstream;
}

/** A bridge for the test (silent, limits lifted like the other tests), closed after it. */
function testBridge(options: CreateBridgeOptions) {
  const bridge = createBridge({ rateLimit: 0, ...options });
  onCleanup(() => bridge.close());
  return bridge;
}

/** Listen on port 0; the server is closed after the test. */
async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createBridge attached to an existing http.Server', () => {
  it('serves both protocols on its paths beside the application, its routes and its own WebSocket', async () => {
    const upstream = await answerUpstream();
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      adminToken: ADMIN,
      wsPath: '/bridge/ws',
      socketIoPath: '/bridge/socket.io/',
    });
    // An Express-style application: middleware with next(), then its own routes.
    type Next = (error?: unknown) => void;
    const middleware = [
      (req: IncomingMessage, res: ServerResponse, next: Next) => bridge.handler(req, res, next),
      (req: IncomingMessage, res: ServerResponse, next: Next) => {
        if (req.url !== '/api/hello') return next();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello from the app');
      },
    ];
    const app = (req: IncomingMessage, res: ServerResponse) => {
      const run = (i: number): void => {
        const handler = middleware[i];
        if (!handler) {
          res.writeHead(404);
          res.end();
          return;
        }
        handler(req, res, () => run(i + 1));
      };
      run(0);
    };
    const server = createServer(app);
    // The application's own WebSocket endpoint keeps working.
    const appWss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/app-ws') return;
      appWss.handleUpgrade(req, socket, head, (ws) => ws.send('app socket'));
    });
    onCleanup(() => appWss.close());
    bridge.attach(server);
    const url = await listen(server);

    expect(await (await fetch(`${url}/api/hello`)).text()).toBe('hello from the app');
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/nothing-here`)).status).toBe(404);

    const ws = await connectWs(url, { path: '/bridge/ws' });
    ws.send({ event: 'chat_message', id: 1, data: { q: 'hi' } });
    const ack = await ws.inbox.waitFor((m) => m.id === 1);
    const wsFrames = await ws.frames(ack.data.request_id);
    assertWellFormed(wsFrames);
    expect(wsFrames.map((f) => f.type)).toEqual(['text', 'debug', 'text', 'stop']);

    const sio = await connectSio(url, { path: '/bridge/socket.io/', transports: ['websocket'] });
    const sioAck = await sio.request('chat_message', { q: 'hi' });
    assertWellFormed(await sio.frames(sioAck.request_id));
    // Long-polling goes through the application's request handler, intercepted on the path.
    const polling = await connectSio(url, { path: '/bridge/socket.io/', transports: ['polling'] });
    assertWellFormed(await polling.frames((await polling.request('chat_message', {})).request_id));

    const appSocket = new WebSocket(`${url.replace('http', 'ws')}/app-ws`);
    onCleanup(() => appSocket.terminate());
    const greeting = await new Promise((resolve) =>
      appSocket.once('message', (d) => resolve(String(d))),
    );
    expect(greeting).toBe('app socket');

    const { body } = await admin(url, '/clients');
    expect(body.clients.map((c: { protocol: string }) => c.protocol).sort()).toEqual([
      'socketio',
      'socketio',
      'ws',
    ]);
    expect(bridge.clients()).toHaveLength(3);
  });

  it('mounts its HTTP routes into a Hono app', async () => {
    const upstream = await answerUpstream();
    const bridge = testBridge({ upstreamUrl: upstream.url, adminToken: ADMIN });
    const { Hono } = await import('hono');
    const app = new Hono();
    app.get('/', (c) => c.text('the application'));
    app.route('/bridge', bridge.app);
    expect(await (await app.request('/')).text()).toBe('the application');
    expect(await (await app.request('/bridge/healthz')).json()).toEqual({ status: 'ok' });
    const clients = await app.request('/bridge/clients', {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(await clients.json()).toEqual({ clients: [] });
  });
});

describe('createBridge attached to an existing Socket.IO namespace', () => {
  it('serves the namespace it is given and leaves the others to the application', async () => {
    const upstream = await answerUpstream();
    const bridge = testBridge({ upstreamUrl: upstream.url });
    const server = createServer();
    const io = new SocketIoServer(server);
    onCleanup(() => {
      io.disconnectSockets(true);
    });
    io.of('/app').on('connection', (socket) => socket.emit('welcome', { from: 'the app' }));
    bridge.attachSocketIo(io.of('/assistant'));
    const url = await listen(server);

    const client = await connectSio(`${url}/assistant`, { transports: ['websocket'] });
    const ack = await client.request('chat_message', { q: 'hi' });
    const frames = await client.frames(ack.request_id);
    assertWellFormed(frames);
    expect(frames.map((f) => f.type)).toEqual(['text', 'debug', 'text', 'stop']);
    expect(bridge.clients()).toEqual([
      expect.objectContaining({ protocol: 'socketio', remoteAddress: '127.0.0.1' }),
    ]);

    const appClient = connectIo(`${url}/app`, { forceNew: true, reconnection: false });
    onCleanup(() => {
      appClient.close();
    });
    const welcome = await new Promise((resolve) => appClient.once('welcome', resolve));
    expect(welcome).toEqual({ from: 'the app' });
    const chat = await appClient
      .timeout(200)
      .emitWithAck('chat_message', {})
      .catch(() => 'no answer');
    expect(chat).toBe('no answer');
  });

  it('serves the root namespace of a Socket.IO server it is given', async () => {
    const upstream = await answerUpstream();
    const bridge = testBridge({ upstreamUrl: upstream.url });
    const server = createServer();
    const io = new SocketIoServer(server);
    onCleanup(() => {
      io.disconnectSockets(true);
    });
    bridge.attachSocketIo(io);
    const url = await listen(server);
    const client = await connectSio(url, { transports: ['websocket'] });
    assertWellFormed(await client.frames((await client.request('chat_message', {})).request_id));
  });
});

describe('hooks', () => {
  /** An upstream that answers with what it was sent: the body, then the x-tenant header. */
  async function echoUpstream() {
    const upstream = await startFakeUpstream((req, res, recorded) => {
      sseHead(res);
      res.end(
        sseFrames(
          { type: 'text', content: { data: recorded.body } },
          { type: 'debug', content: { internal: true } },
          { type: 'text', content: { data: `tenant=${String(req.headers['x-tenant'])}` } },
          { type: 'stop' },
        ),
      );
    });
    onCleanup(() => upstream.close());
    return upstream;
  }

  it('onConnect refuses a client, or admits it with a user id and data the other hooks see', async () => {
    const upstream = await echoUpstream();
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      adminToken: ADMIN,
      hooks: {
        onConnect: ({ headers }) => {
          if (headers['x-plan'] === undefined) return false;
          if (headers['x-plan'] === 'banned') throw new BridgeError('unauthorized', 'banned plan');
          return { userId: `user-${headers['x-plan']}`, data: { plan: headers['x-plan'] } };
        },
        onMessage: (message, client) =>
          message.event === 'chat_message'
            ? { ...message, data: { ...(message.data as object), plan: client.data?.plan } }
            : undefined,
      },
    });
    const server = createServer();
    bridge.attach(server);
    const url = await listen(server);

    const refused = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    refused.on('error', () => {});
    onCleanup(() => refused.terminate());
    const status = await new Promise((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(401);
    const banned = connectIo(url, {
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
      extraHeaders: { 'x-plan': 'banned' },
    });
    onCleanup(() => {
      banned.close();
    });
    const error = await new Promise<any>((resolve) => banned.once('connect_error', resolve));
    expect(error.data).toMatchObject({ code: 'unauthorized', message: 'banned plan' });

    const client = await connectWs(url, { headers: { 'x-plan': 'gold' } });
    client.send({ event: 'chat_message', id: 1, data: { q: 'hi' } });
    const ack = await client.inbox.waitFor((m) => m.id === 1);
    const frames = await client.frames(ack.data.request_id);
    expect(JSON.parse(frames[0]?.content.data)).toEqual({ q: 'hi', plan: 'gold' });
    expect(bridge.clients()).toEqual([expect.objectContaining({ userId: 'user-gold' })]);
  });

  it('onMessage refuses a message with its reason', async () => {
    const upstream = await echoUpstream();
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      hooks: {
        onMessage: ({ event, data }) => {
          if (event === 'chat_message' && JSON.stringify(data).includes('forbidden')) {
            throw new Error('this message is not allowed');
          }
        },
      },
    });
    const server = createServer();
    bridge.attach(server);
    const client = await connectSio(await listen(server), { transports: ['websocket'] });
    expect(await client.request('chat_message', { q: 'forbidden words' })).toEqual({
      error: {
        code: 'bad_request',
        message: 'this message is not allowed',
        timestamp: expect.any(Number),
      },
    });
    const ack = await client.request('chat_message', { q: 'fine' });
    assertWellFormed(await client.frames(ack.request_id));
    expect(upstream.requests).toHaveLength(1);
  });

  it('onFrame may change a frame in place and return nothing: the client sees the change', async () => {
    // Bug: an upstream {"type","content"} frame carries its upstream JSON text to skip one
    // serialisation; a hook that mutated the frame and returned undefined got that stale text sent.
    const upstream = await startFakeUpstream(
      sseBody(sseFrames({ type: 'text', content: { data: 'quiet' } }, { type: 'stop' })),
    );
    onCleanup(() => upstream.close());
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      hooks: {
        onFrame: (frame) => {
          if (frame.type === 'text') (frame.content as { data: string }).data = 'LOUD';
        },
      },
    });
    const server = createServer();
    bridge.attach(server);
    const client = await connectWs(await listen(server));
    client.send({ event: 'chat_message', id: 1, data: { q: 'hi' } });
    const ack = await client.inbox.waitFor((m) => m.id === 1);
    const frames = await client.frames(ack.data.request_id as string);
    expect(frames.map((f) => [f.type, f.content])).toEqual([
      ['text', { data: 'LOUD' }],
      ['stop', {}],
    ]);
  });

  it('onUpstreamRequest adds headers and changes the body; onFrame rewrites and drops frames; onStreamEnd reports', async () => {
    const upstream = await echoUpstream();
    const ended = new Inbox<any>();
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      hooks: {
        onUpstreamRequest: ({ body, requestId }) => ({
          headers: { 'x-tenant': 'acme' },
          body: JSON.stringify({ ...JSON.parse(body ?? '{}'), request: requestId }),
        }),
        onFrame: (frame) => {
          if (frame.type === 'debug') return null;
          if (frame.type === 'stop') return null; // refused: a stop always goes out
          if (frame.type === 'text') {
            const content = frame.content as { data: string };
            return { type: 'text', content: { data: content.data.toUpperCase() } };
          }
          return undefined;
        },
        onStreamEnd: async (summary) => {
          ended.push(summary);
          if (summary.conversationId !== undefined) {
            await bridge.publish(
              'usage',
              { frames: summary.frames },
              {
                conversation: summary.conversationId,
              },
            );
          }
        },
      },
    });
    const server = createServer();
    bridge.attach(server);
    const client = await connectWs(await listen(server));
    client.send({ event: 'chat_message', id: 1, data: { q: 'hi', conversation_id: 'c9' } });
    const ack = await client.inbox.waitFor((m) => m.id === 1);
    const requestId = ack.data.request_id as string;
    const frames = await client.frames(requestId);
    assertWellFormed(frames);
    expect(frames.map((f) => [f.type, f.content])).toEqual([
      [
        'text',
        {
          data: JSON.stringify({
            Q: 'HI',
            CONVERSATION_ID: 'C9',
            REQUEST: requestId.toUpperCase(),
          }),
        },
      ],
      ['text', { data: 'TENANT=ACME' }],
      ['stop', {}],
    ]);
    expect(upstream.requests[0]?.headers['x-tenant']).toBe('acme');
    const usage = await client.inbox.waitFor((m) => m.event === 'usage');
    expect(usage.data).toEqual({ frames: 3 });
    const summary = await ended.waitFor(() => true);
    expect(summary).toEqual({
      requestId,
      conversationId: 'c9',
      durationMs: expect.any(Number),
      frames: 3,
      outcome: 'complete',
    });
  });

  it('a stream cancelled while onUpstreamRequest runs never sends its upstream request', async () => {
    const upstream = await answerUpstream();
    let release: () => void = () => {};
    const hookStarted = new Inbox<string>();
    const bridge = testBridge({
      upstreamUrl: upstream.url,
      hooks: {
        onUpstreamRequest: async ({ requestId }) => {
          hookStarted.push(requestId);
          await new Promise<void>((resolve) => (release = resolve));
          return {};
        },
      },
    });
    const server = createServer();
    bridge.attach(server);
    const url = await listen(server);
    const client = await connectWs(url);
    client.send({ event: 'chat_message', id: 1, data: { q: 'hi' } });
    const ack = await client.inbox.waitFor((m) => m.id === 1);
    const requestId = ack.data.request_id as string;
    await hookStarted.waitFor(() => true);
    // From another connection (this one's messages queue behind the chat_message), with the token.
    const other = await connectWs(url);
    const token = ack.data.resume_token as string;
    other.send({
      event: 'chat_cancel',
      id: 2,
      data: { request_id: requestId, resume_token: token },
    });
    expect((await other.inbox.waitFor((m) => m.id === 2)).event).toBe('ack');
    release();
    const frames = await client.frames(requestId);
    assertWellFormed(frames);
    expect(frames.map((f) => [f.type, f.content])).toEqual([['stop', { reason: 'cancelled' }]]);
    // Long enough for a request that went out to reach the upstream.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(upstream.requests).toHaveLength(0);
  });
});
