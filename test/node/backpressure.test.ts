/**
 * Slow consumers: a client that does not read makes the bridge stop reading the upstream instead
 * of buffering; a client stuck past the timeout is disconnected (1013) and can resume; one slow
 * member of a conversation never holds back the others.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs } from '../helpers/clients.ts';
import { type FakeUpstream, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

const FRAME = (i: number, size: number) =>
  `data: ${JSON.stringify({ type: 'text', content: { data: `${i} ${'x'.repeat(size)}` } })}\n\n`;

/**
 * An upstream writing frames as fast as its socket takes them, counting the bytes written. Big
 * frames fill the kernel's loopback buffers (several MB) without flooding the test's inbox.
 */
async function startFirehose(limit = Number.POSITIVE_INFINITY, frameBytes = 80) {
  const written = { bytes: 0 };
  const upstream = await startFakeUpstream(async (_req, res: ServerResponse) => {
    sseHead(res);
    for (let i = 0; i < limit && !res.destroyed; i++) {
      const chunk = FRAME(i, frameBytes);
      written.bytes += chunk.length;
      if (!res.write(chunk)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    if (!res.destroyed) res.end('data: {"type":"stop"}\n\n');
  });
  onCleanup(() => upstream.close());
  return { upstream, written };
}

const pauseReading = (ws: WebSocket) =>
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
const resumeReading = (ws: WebSocket) =>
  (ws as unknown as { _socket: { resume(): void } })._socket.resume();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settle(upstream: FakeUpstream, written: { bytes: number }): Promise<number> {
  await upstream.request(0);
  // Wait until the upstream stops making progress (its writes are blocked).
  let last = -1;
  while (written.bytes !== last) {
    last = written.bytes;
    await sleep(300);
  }
  return written.bytes;
}

describe('backpressure (node)', () => {
  it('stops reading the upstream for a client that never reads, then drops it with 1013', async () => {
    const { upstream, written } = await startFirehose();
    const bridge = await startBridge(upstream.url, {
      sendHighWaterBytes: 64 * 1024,
      slowClientTimeoutMs: 3_000,
      resumeGraceMs: 60_000,
    });
    const client = await connectWs(bridge.url);
    client.send({ event: 'chat_message', id: 'm', data: { request_id: 'stuck' } });
    const started = await client.inbox.waitFor((m) => m.id === 'm');
    await client.inbox.waitFor((m) => m.event === 'chat_response');
    pauseReading(client.ws);
    const stalledAt = await settle(upstream, written);
    // Bounded by socket buffers and the high-water mark, not by how much the upstream has.
    expect(stalledAt).toBeLessThan(32 * 1024 * 1024);
    // Stuck past the timeout: the bridge drops the client (it can resume later).
    const deadline = Date.now() + 15_000;
    while (bridge.bridge.sessions.size > 0 && Date.now() < deadline) await sleep(100);
    expect(bridge.bridge.sessions.size).toBe(0);
    resumeReading(client.ws);
    expect((await client.closed).code).toBe(1013);
    // The stream survived the drop: a resume picks it up.
    const again = await connectWs(bridge.url);
    again.send({
      event: 'chat_resume',
      id: 'r',
      data: { request_id: 'stuck', after_seq: 1_000_000, resume_token: started.data.resume_token },
    });
    expect(await again.inbox.waitFor((m) => m.id === 'r')).toMatchObject({
      event: 'ack',
      data: { request_id: 'stuck' },
    });
  });

  it('Socket.IO: a client that never reads stalls the upstream and is dropped', async () => {
    // Socket.IO queues packets in engine.io while the previous write is pending; those count too.
    const { upstream, written } = await startFirehose(Number.POSITIVE_INFINITY, 10_000);
    const bridge = await startBridge(upstream.url, {
      sendHighWaterBytes: 64 * 1024,
      slowClientTimeoutMs: 1_000,
      resumeGraceMs: 60_000,
    });
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    await client.request('chat_message', { request_id: 'stuck-sio' });
    await client.inbox.waitFor((m) => m.event === 'chat_response');
    const engine = client.socket.io.engine as unknown as { transport: { ws: WebSocket } };
    pauseReading(engine.transport.ws);
    const stalledAt = await settle(upstream, written);
    expect(stalledAt).toBeLessThan(32 * 1024 * 1024);
    const deadline = Date.now() + 15_000;
    while (bridge.bridge.sessions.size > 0 && Date.now() < deadline) await sleep(100);
    expect(bridge.bridge.sessions.size).toBe(0);
    // Megabytes still wait in the client's socket buffers: close it rather than read them all.
    engine.transport.ws.terminate();
  });

  it('a client that pauses briefly catches up with every frame, in order', async () => {
    const { upstream } = await startFirehose(5_000);
    const bridge = await startBridge(upstream.url, {
      sendHighWaterBytes: 32 * 1024,
      slowClientTimeoutMs: 20_000,
      resumeBufferBytes: 64 * 1024 * 1024,
    });
    const client = await connectWs(bridge.url);
    client.send({ event: 'chat_message', data: { request_id: 'brief' } });
    await client.inbox.waitFor((m) => m.event === 'chat_response');
    pauseReading(client.ws);
    await sleep(500);
    resumeReading(client.ws);
    const frames = await client.frames('brief', 30_000);
    assertWellFormed(frames);
    expect(frames).toHaveLength(5_001);
  });

  it('one slow member of a conversation does not hold back the others', async () => {
    const { upstream } = await startFirehose(1_500, 10_000);
    const bridge = await startBridge(upstream.url, {
      sendHighWaterBytes: 32 * 1024,
      slowClientTimeoutMs: 1_000,
      resumeBufferBytes: 64 * 1024 * 1024,
    });
    const slow = await connectWs(bridge.url);
    const fast = await connectWs(bridge.url);
    slow.send({ event: 'join', id: 1, data: { conversation_id: 'room' } });
    await slow.inbox.waitFor((m) => m.id === 1);
    fast.send({ event: 'join', id: 1, data: { conversation_id: 'room' } });
    await fast.inbox.waitFor((m) => m.id === 1);
    pauseReading(slow.ws);
    fast.send({ event: 'chat_message', data: { request_id: 'shared', conversation_id: 'room' } });
    // Polled rather than awaited per message: 15 MB of frames through the inbox's waiters is slow.
    const isStop = (m: { event: string; data?: any }) =>
      m.event === 'chat_response' && m.data.request_id === 'shared' && m.data.type === 'stop';
    const deadline = Date.now() + 15_000;
    while (!fast.inbox.items.some(isStop) && Date.now() < deadline) await sleep(100);
    const frames = await fast.frames('shared', 1_000);
    assertWellFormed(frames);
    expect(frames).toHaveLength(1_501);
    // The slow member, stuck past its timeout, is dropped; the fast one stays.
    const dropBy = Date.now() + 15_000;
    while (bridge.bridge.sessions.size > 1 && Date.now() < dropBy) await sleep(100);
    expect(bridge.bridge.sessions.size).toBe(1);
    resumeReading(slow.ws);

    expect((await slow.closed).code).toBe(1013);
  });
});
