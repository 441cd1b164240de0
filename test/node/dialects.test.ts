import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import { sseBody, startFakeUpstream } from '../helpers/fake-upstream.ts';

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
});
