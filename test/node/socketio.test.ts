import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

const LEGACY = sseFrames(
  { type: 'agent_status', content: { status: 'running', message: 'Searching…' } },
  { type: 'text', content: { data: 'Hel' } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop' },
);

async function legacyUpstream() {
  const upstream = await startFakeUpstream(sseBody(LEGACY));
  onCleanup(() => upstream.close());
  return upstream;
}

describe.each([
  ['default transports (polling, then upgrade)', {}],
  ['websocket only', { transports: ['websocket'] }],
] as const)('Socket.IO with %s', (_name, clientOptions) => {
  it('streams a legacy SSE answer as chat_response frames, acked with the request id', async () => {
    const upstream = await legacyUpstream();
    const bridge = await startBridge(upstream.url);
    const client = await connectSio(bridge.url, {
      ...clientOptions,
      transports: [...(clientOptions.transports ?? ['polling', 'websocket'])],
    });
    const data = { history: [], current_text: 'hi', current_image_paths: [] };
    const ack = await client.request('chat_message', data);
    expect(typeof ack.request_id).toBe('string');
    const frames = await client.frames(ack.request_id);
    assertWellFormed(frames);
    expect(frames.map((f) => [f.type, f.content])).toEqual([
      ['agent_status', { status: 'running', message: 'Searching…' }],
      ['text', { data: 'Hel' }],
      ['text', { data: 'lo' }],
      ['stop', {}],
    ]);
    const req = await upstream.request(0);
    expect(req.method).toBe('POST');
    expect(JSON.parse(req.body)).toEqual(data);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('text/event-stream');
    expect(req.headers['x-request-id']).toBe(ack.request_id);
  });
});
