import { expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

it('reuses pooled keep-alive connections to the upstream', async () => {
  const upstream = await startFakeUpstream(
    sseBody(sseFrames({ type: 'text', content: { data: 'x' } }, { type: 'stop' })),
  );
  onCleanup(() => upstream.close());
  const bridge = await startBridge(upstream.url);
  const client = await connectWs(bridge.url);
  for (let i = 0; i < 5; i++) {
    client.send({ event: 'chat_message', data: { request_id: `seq-${i}` } });
    assertWellFormed(await client.frames(`seq-${i}`));
    // Let the relay finish draining the body so the socket goes back to the pool.
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(upstream.requests).toHaveLength(5);
  expect(upstream.connections).toBe(1);
});
