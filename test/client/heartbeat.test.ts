/** Dead-server detection on `/ws`: a JSON ping every interval, no answer within the timeout = dead. */
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startCountingUpstream } from '../contract/counting-upstream.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { connectClient, waitUntil } from './client-helpers.ts';

/** A WebSocket server that accepts every connection and never says anything back. */
async function startSilentServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: string[] = [];
  const paths: string[] = [];
  wss.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    ws.on('message', (data) => received.push(String(data)));
  });
  onCleanup(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });
  const { port } = wss.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, paths };
}

it('a server that stops answering pings is dropped and reconnected to', async () => {
  const server = await startSilentServer();
  const { client, states } = connectClient(server.url, {
    protocol: 'ws',
    heartbeatIntervalMs: 30,
    heartbeatTimeoutMs: 100,
    auth: { token: 't k' },
  });

  await waitUntil(() => server.paths.length >= 2, 'a second connection');
  await waitUntil(() => client.state === 'open', 'open again');

  expect(states.slice(0, 3)).toEqual(['open', 'reconnecting', 'open']);
  expect(server.received[0]).toBe('{"event":"ping"}');
  expect(server.paths[0]).toBe('/ws?token=t+k');
});

it('a live bridge answers every ping: the connection stays up', async () => {
  const upstream = await startCountingUpstream(1, 0);
  const bridge = await startBridge(upstream.url);
  const { client, states } = connectClient(bridge.url, {
    protocol: 'ws',
    heartbeatIntervalMs: 20,
    heartbeatTimeoutMs: 150,
  });
  await waitUntil(() => client.state === 'open', 'open');
  const [session] = bridge.bridge.sessions;

  await new Promise((resolve) => setTimeout(resolve, 500));

  expect(states).toEqual(['open']);
  expect([...bridge.bridge.sessions]).toEqual([session]);
});
