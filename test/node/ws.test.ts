import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBridge } from 'sse2ws';
import { wsContractTests } from '../contract/ws-contract.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';

wsContractTests('node', startBridge);

describe('/ws heartbeat (node)', () => {
  it('pings every interval and terminates a peer that does not answer within the timeout', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', {
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 150,
    });
    const url = `${bridge.url.replace('http', 'ws')}/ws`;
    const silent = new WebSocket(url, { autoPong: false });
    const healthy = new WebSocket(url);
    onCleanup(() => {
      silent.terminate();
      healthy.terminate();
    });
    let pings = 0;
    healthy.on('ping', () => pings++);
    const silentClosed = new Promise<number>((resolve) =>
      silent.on('close', (code) => resolve(code)),
    );
    await Promise.all([
      new Promise((r) => silent.once('open', r)),
      new Promise((r) => healthy.once('open', r)),
    ]);
    const code = await silentClosed;
    expect(code).toBe(1006);
    // The healthy peer answered its pings and is still connected.
    await new Promise((r) => setTimeout(r, 300));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(healthy.readyState).toBe(WebSocket.OPEN);
  });
});

describe('/ws upgrades (node)', () => {
  it('answers a refused upgrade with its status and the error code in a JSON body', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', {
      allowedOrigins: ['https://app.example.com'],
    });
    const ws = new WebSocket(`${bridge.url.replace('http', 'ws')}/ws`, {
      headers: { origin: 'https://evil.example.com' },
    });
    // Terminating a socket that never opened emits an error: expected here.
    ws.on('error', () => {});
    onCleanup(() => ws.terminate());
    const refusal = await new Promise<{
      status: number | undefined;
      type: string | undefined;
      body: string;
    }>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode, type: res.headers['content-type'], body }),
        );
      });
      ws.once('open', () => reject(new Error('opened')));
    });
    expect(refusal.status).toBe(403);
    expect(refusal.type).toBe('application/json');
    expect(JSON.parse(refusal.body)).toMatchObject({ code: 'forbidden_origin' });
  });

  it('pings again after every client left and a new one came (the shared interval restarts)', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', {
      heartbeatIntervalMs: 80,
      heartbeatTimeoutMs: 80,
    });
    const url = `${bridge.url.replace('http', 'ws')}/ws`;
    const first = new WebSocket(url);
    await new Promise((r) => first.once('open', r));
    first.close();
    await new Promise((r) => first.once('close', r));
    await new Promise((r) => setTimeout(r, 200));
    const silent = new WebSocket(url, { autoPong: false });
    onCleanup(() => silent.terminate());
    let pinged = false;
    silent.on('ping', () => (pinged = true));
    const code = await new Promise<number>((resolve) => silent.on('close', resolve));
    expect(pinged).toBe(true);
    expect(code).toBe(1006);
  });
});

/** A raw TCP client that sends a WebSocket upgrade request for `/ws`. */
async function rawUpgrade(
  baseUrl: string,
  headers: Record<string, string> = {},
  allowHalfOpen = false,
): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen });
  onCleanup(() => {
    socket.destroy();
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: ' +
      `${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      `${extra.join('')}\r\n`,
  );
  return socket;
}

describe('/ws upgrades from misbehaving clients (node)', () => {
  it('a client that resets its connection while it is being admitted breaks nothing', async () => {
    const { createServer } = await import('node:http');
    // A slow onConnect keeps the upgrade in admission while the client resets.
    const library = createBridge({
      upstreamUrl: 'http://127.0.0.1:9/chat',
      hooks: { onConnect: () => new Promise((resolve) => setTimeout(() => resolve(true), 300)) },
    });
    onCleanup(() => library.close());
    const server = createServer();
    library.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const socket = await rawUpgrade(url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Still serving (an unhandled ECONNRESET would have failed the run before this).
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    onCleanup(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a refused upgrade even when the client keeps its side open', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', {
      allowedOrigins: ['https://app.example.com'],
    });
    // Half-open: this client never ends its side, as a careless or hostile one would not.
    const socket = await rawUpgrade(bridge.url, { Origin: 'https://evil.example.com' }, true);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('end', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    // A socket the server let go of answers more bytes with a reset; a half-open one takes them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('more\r\n');
    // The first write draws the reset; the next one fails on it (EPIPE).
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('more\r\n');
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    expect(closed).toBe(true);
  });

  it('keeps a peer that answers each ping within the timeout, when the timeout is longer than the interval', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', {
      heartbeatIntervalMs: 60,
      heartbeatTimeoutMs: 250,
    });
    const slow = new WebSocket(`${bridge.url.replace('http', 'ws')}/ws`, { autoPong: false });
    onCleanup(() => slow.terminate());
    let pings = 0;
    // Each pong 100 ms late: within the timeout, but after the next round's ping time.
    slow.on('ping', (data) => {
      pings++;
      setTimeout(() => slow.pong(data), 100);
    });
    await new Promise((resolve) => slow.once('open', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pings).toBeGreaterThanOrEqual(4);
    expect(slow.readyState).toBe(WebSocket.OPEN);
  });
});

describe('other routes', () => {
  it('GET /healthz answers 200 {"status":"ok"}', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat');
    const res = await fetch(`${bridge.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses a WebSocket upgrade on an unknown path', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat');
    const ws = new WebSocket(`${bridge.url.replace('http', 'ws')}/nope`);
    onCleanup(() => ws.terminate());
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});
