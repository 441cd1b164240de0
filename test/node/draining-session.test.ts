import { expect, it } from 'vitest';
import { startCountingUpstream } from '../contract/counting-upstream.ts';
import { startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs } from '../helpers/clients.ts';

it('while draining, a connected client cannot start a new stream but can still resume', async () => {
  const upstream = await startCountingUpstream(5, 20);
  const server = await startBridge(upstream.url);
  const client = await connectWs(server.url);
  client.send({ event: 'chat_message', id: 1, data: { request_id: 'before' } });
  await client.inbox.waitFor((m) => m.id === 1);
  server.bridge.startDraining();
  client.send({ event: 'chat_message', id: 2, data: { request_id: 'after' } });
  expect(await client.inbox.waitFor((m) => m.id === 2)).toMatchObject({
    event: 'error',
    data: { code: 'server_shutdown' },
  });
  // The running stream goes on, and an idempotent re-send of it is still answered.
  client.send({ event: 'chat_message', id: 3, data: { request_id: 'before' } });
  expect(await client.inbox.waitFor((m) => m.id === 3)).toMatchObject({ event: 'ack' });
  assertWellFormed(await client.frames('before'));
  expect(upstream.requests).toHaveLength(1);
});
