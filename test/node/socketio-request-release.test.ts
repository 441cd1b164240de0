/**
 * On its own server the bridge lets go of each Engine.IO connection's first HTTP request once the
 * client is admitted (socket.io's memory-usage advice: the request, its headers and its socket
 * are otherwise kept for the life of the connection), and the connection works on without it, on
 * every transport.
 */
import { describe, expect, it } from 'vitest';
import { startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

describe('Socket.IO: the first HTTP request is let go after admission', () => {
  it.each([[['websocket']], [['polling']], [['polling', 'websocket']]])(
    'over %j',
    async (transports) => {
      const upstream = await startFakeUpstream(
        sseBody(sseFrames({ type: 'text', content: { data: 'Hi' } }, { type: 'stop' })),
      );
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, { transports });
      const sockets = [...bridge.io.of('/').sockets.values()];
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.conn.request).toBeNull();
      // It still speaks: a chat message streams its answer to the end.
      const ack = await client.request('chat_message', { current_text: 'hello', history: [] });
      const frames = await client.frames(ack.request_id);
      assertWellFormed(frames);
      expect(frames[0]).toMatchObject({ type: 'text', content: { data: 'Hi' } });
      await upstream.close();
    },
  );
});
