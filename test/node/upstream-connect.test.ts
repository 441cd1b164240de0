import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs } from '../helpers/clients.ts';

it('ends with upstream_timeout when the connection cannot be established within --connect-timeout', async () => {
  // A TCP server that accepts but never speaks TLS: the https connect (TCP + TLS) never completes.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const bridge = await startBridge(`https://127.0.0.1:${port}/chat`, {
    connectTimeoutMs: 200,
    firstFrameTimeoutMs: 30_000,
  });
  const client = await connectWs(bridge.url);
  client.send({ event: 'chat_message', data: { request_id: 'ct' } });
  const frames = await client.frames('ct');
  assertWellFormed(frames);
  expect(frames[0]?.type).toBe('error');
  expect(frames[0]?.content).toMatchObject({
    code: 'upstream_timeout',
    message: 'upstream connect timed out',
  });
});
