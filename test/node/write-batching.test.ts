/**
 * The frames parsed from one upstream chunk leave in one socket write (src/node/cork.ts), on both
 * protocols, while backpressure still sees a client that does not read.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs } from '../helpers/clients.ts';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';

const FRAMES = 50;

/** An upstream that writes all its frames and the stop in one chunk. */
async function startOneChunkUpstream() {
  const upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let chunk = '';
    for (let i = 0; i < FRAMES; i++)
      chunk += `data: {"type":"text","content":{"data":"t${i}"}}\n\n`;
    res.end(`${chunk}data: {"type":"stop","content":{}}\n\n`);
  });
  onCleanup(() => upstream.close());
  return upstream;
}

/** Counts the write calls (one `writev` or `write` system call each) the server's sockets make. */
function countSocketWrites(server: { on(event: 'connection', f: (s: Socket) => void): unknown }) {
  const counter = { writes: 0 };
  server.on('connection', (socket: Socket) => {
    const internals = socket as unknown as {
      _write: (...args: unknown[]) => void;
      _writev: (...args: unknown[]) => void;
    };
    const write = internals._write.bind(socket);
    const writev = internals._writev.bind(socket);
    internals._write = (...args) => {
      counter.writes++;
      write(...args);
    };
    internals._writev = (...args) => {
      counter.writes++;
      writev(...args);
    };
  });
  return counter;
}

describe('write batching (node)', () => {
  it('/ws: one upstream chunk of 50 frames goes out in a few writes, not one per frame', async () => {
    const upstream = await startOneChunkUpstream();
    const bridge = await startBridge(upstream.url);
    const counter = countSocketWrites(bridge.server);
    const client = await connectWs(bridge.url);
    const before = counter.writes;
    client.send({ event: 'chat_message', data: { request_id: 'batched' } });
    const frames = await client.frames('batched');
    assertWellFormed(frames);
    expect(frames.map((f) => f.content)).toEqual([
      ...Array.from({ length: FRAMES }, (_, i) => ({ data: `t${i}` })),
      {},
    ]);
    // Unbatched, this is FRAMES + 1 writes (plus the ack); batched, a handful.
    expect(counter.writes - before).toBeLessThan(10);
  });

  it('Socket.IO: the same chunk goes out in a few writes', async () => {
    const upstream = await startOneChunkUpstream();
    const bridge = await startBridge(upstream.url);
    const counter = countSocketWrites(bridge.server);
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    const before = counter.writes;
    await client.request('chat_message', { request_id: 'batched' });
    const frames = await client.frames('batched');
    assertWellFormed(frames);
    expect(frames).toHaveLength(FRAMES + 1);
    expect(counter.writes - before).toBeLessThan(10);
  });
});
