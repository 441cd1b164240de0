import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
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
