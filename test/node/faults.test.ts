/**
 * Hostile and odd input: each gets a coded error, and nothing else breaks (other connections keep
 * streaming, the process stays up).
 */
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

async function answering() {
  const upstream = await startFakeUpstream(
    sseBody(sseFrames({ type: 'text', content: { data: 'ok' } }, { type: 'stop' })),
  );
  onCleanup(() => upstream.close());
  return upstream;
}

describe('hostile input', () => {
  it('refuses data nested deeper than the stack on /ws without claiming the request id', async () => {
    const upstream = await answering();
    const bridge = await startBridge(upstream.url);
    const client = await connectWs(bridge.url);
    const text = `{"event":"chat_message","id":1,"data":{"request_id":"deep","x":${deep(300_000)}}}`;
    client.send(text);
    const answer = await client.inbox.waitFor((m) => m.id === 1);
    expect(answer.event).toBe('error');
    expect(answer.data.code).toBe('bad_request');
    // The id was not left claimed by a stream that never started.
    client.send({ event: 'chat_message', data: { request_id: 'deep' } });
    assertWellFormed(await client.frames('deep'));
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses deeply nested data over Socket.IO and keeps the connection', async () => {
    const upstream = await answering();
    const bridge = await startBridge(upstream.url);
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    const data = JSON.parse(`{"x":${deep(300_000)}}`);
    const ack = await client
      .request('chat_message', data)
      .catch((e: Error) => ({ thrown: e.message }));
    // Either the bridge answered bad_request or Socket.IO's parser dropped the packet; the
    // process and the socket must both survive.
    if ('error' in ack) expect(ack.error.code).toBe('bad_request');
    const ok = await client.request('chat_message', { current_text: 'after' });
    assertWellFormed(await client.frames(ok.request_id));
  });

  it('answers a binary /ws frame with bad_message', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat');
    const client = await connectWs(bridge.url);
    client.ws.send(Buffer.from([1, 2, 3]));
    const error = await client.inbox.waitFor((m) => m.event === 'error');
    expect(error.data.code).toBe('bad_message');
  });

  it('ends each of 100 concurrent chat_messages with exactly one stop', async () => {
    const upstream = await answering();
    const bridge = await startBridge(upstream.url);
    const a = await connectWs(bridge.url);
    const b = await connectSio(bridge.url, { transports: ['websocket'] });
    for (let i = 0; i < 50; i++) {
      a.send({ event: 'chat_message', data: { request_id: `a${i}` } });
      b.socket.emit('chat_message', { request_id: `b${i}` });
    }
    for (let i = 0; i < 50; i++) {
      assertWellFormed(await a.frames(`a${i}`));
      assertWellFormed(await b.frames(`b${i}`));
    }
    expect(upstream.requests).toHaveLength(100);
  });
});
