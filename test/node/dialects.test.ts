import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/dialects/${name}.sse`, import.meta.url), 'utf8');

describe('upstream dialects end to end (node)', () => {
  it.each([
    ['openai', 'auto', ['text', 'text', 'tool_call', 'tool_call', 'usage', 'stop']],
    ['anthropic', 'anthropic', ['thinking', 'text', 'tool_call', 'tool_call', 'usage', 'stop']],
    ['langserve', 'auto', ['metadata', 'data', 'data', 'stop']],
  ] as const)(
    '%s (--upstream-format %s) reaches a Socket.IO client as frames',
    async (name, format, types) => {
      const upstream = await startFakeUpstream(sseBody(fixture(name), 11));
      onCleanup(() => upstream.close());
      const bridge = await startBridge(upstream.url, { upstreamFormat: format });
      const client = await connectSio(bridge.url, { transports: ['websocket'] });
      const ack = await client.request('chat_message', { current_text: 'hi' });
      const frames = await client.frames(ack.request_id);
      assertWellFormed(frames);
      expect(frames.map((f) => f.type)).toEqual(types);
    },
  );

  // Issue 15: a Flask generator yielding {"type":"ping"} first lost its whole answer under auto
  // (the client got only stop {"reason":"complete"}).
  it('a legacy stream led by a colliding frame and a named keep-alive keeps its answer', async () => {
    const upstream = await startFakeUpstream(
      sseBody(
        'event: ping\ndata: 2026-12-07 00:00:15.000000\n\n' +
          sseFrames(
            { type: 'ping', content: {} },
            { type: 'text', content: { data: 'slow ' } },
            { type: 'text', content: { data: 'answer' } },
            { type: 'stop', content: { reason: 'done' } },
          ),
        7,
      ),
    );
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    const ack = await client.request('chat_message', { current_text: 'hi' });
    const frames = await client.frames(ack.request_id);
    assertWellFormed(frames);
    expect(frames.map((f) => [f.type, f.content])).toEqual([
      ['ping', {}],
      ['text', { data: 'slow ' }],
      ['text', { data: 'answer' }],
      ['stop', { reason: 'done' }],
    ]);
  });

  it('counts events the dialect cannot map in sse2ws_unmapped_events_total{dialect}', async () => {
    const chunk = (content: string) =>
      JSON.stringify({ object: 'chat.completion.chunk', choices: [{ delta: { content } }] });
    const upstream = await startFakeUpstream(
      sseBody(
        `data: ${chunk('Hi')}\n\ndata: {"type":"agent_status","content":{"s":1}}\n\ndata: [DONE]\n\n`,
      ),
    );
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    const ack = await client.request('chat_message', { current_text: 'hi' });
    const frames = await client.frames(ack.request_id);
    expect(frames.map((f) => f.type)).toEqual(['text', 'agent_status', 'stop']);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toContain('sse2ws_unmapped_events_total{dialect="openai"} 1');
  });
});
