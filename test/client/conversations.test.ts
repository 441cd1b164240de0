/** join / leave / presence / user_message through the SDK, across protocols. */
import { describe, expect, it } from 'vitest';
import type { ChatResponse, Presence, UserMessage } from '../../src/client/index.ts';
import { expectedFrames, startCountingUpstream } from '../contract/counting-upstream.ts';
import { withoutTimestamp } from '../helpers/clients.ts';
import { startBridge } from '../helpers/bridge.ts';
import { collect, connectClient, PROTOCOLS, waitUntil } from './client-helpers.ts';

describe.each(PROTOCOLS)('conversations over %s', (protocol) => {
  const other = protocol === 'ws' ? 'socketio' : 'ws';

  it('join and leave resolve with the ack; members get presence', async () => {
    const upstream = await startCountingUpstream(1, 0);
    const bridge = await startBridge(upstream.url);
    const { client: a } = connectClient(bridge.url, { protocol });
    const { client: b } = connectClient(bridge.url, { protocol: other });
    const presence: Presence[] = [];
    a.on('presence', (p) => presence.push(p));

    expect(await a.join('room-1')).toMatchObject({ conversation_id: 'room-1', clients: 1 });
    expect(await b.join('room-1')).toMatchObject({ conversation_id: 'room-1', clients: 2 });
    await waitUntil(() => presence.some((p) => p.clients === 2), 'presence 2');
    expect(await b.leave('room-1')).toMatchObject({ conversation_id: 'room-1', clients: 1 });
    await waitUntil(
      () => presence.some((p) => p.clients === 1 && presence.indexOf(p) > 0),
      'presence 1',
    );
  });

  it("another member's chat arrives as user_message and chat_response events", async () => {
    const upstream = await startCountingUpstream(3, 0);
    const bridge = await startBridge(upstream.url);
    const { client: a } = connectClient(bridge.url, { protocol });
    const { client: b } = connectClient(bridge.url, { protocol: other });
    const messages: UserMessage[] = [];
    const frames: ChatResponse[] = [];
    a.on('user_message', (m) => messages.push(m));
    a.on('chat_response', (f) => frames.push(f));
    await a.join('room-2');

    const stream = b.chat({ current_text: 'hello', conversation_id: 'room-2' });
    const own = await collect(stream);

    expect(own).toEqual(expectedFrames(3, stream.requestId));
    await waitUntil(() => frames.length === 4, 'the four frames at the other member');
    expect(frames.map(withoutTimestamp)).toEqual(own);
    expect(messages[0]?.timestamp).toEqual(expect.any(Number));
    expect(messages.map(withoutTimestamp)).toEqual([
      {
        conversation_id: 'room-2',
        request_id: stream.requestId,
        data: { current_text: 'hello', conversation_id: 'room-2', request_id: stream.requestId },
      },
    ]);
  });

  it('a joined conversation is joined again after a reconnect', async () => {
    const upstream = await startCountingUpstream(1, 0);
    const bridge = await startBridge(upstream.url);
    const { client: a, states } = connectClient(bridge.url, { protocol });
    const { client: b } = connectClient(bridge.url, { protocol: other });
    await a.join('room-3');
    const presence: Presence[] = [];
    b.on('presence', (p) => presence.push(p));
    await b.join('room-3');

    const [sessionA] = [...bridge.bridge.sessions].filter(
      (s) => s.connection.protocol === protocol,
    );
    sessionA?.connection.close?.(1012, 'test');
    await waitUntil(() => states.filter((s) => s === 'open').length === 2, 'a back');

    // b sees a leave (1) and come back (2).
    await waitUntil(
      () =>
        presence.some(
          (p, i) => p.clients === 2 && presence.slice(0, i).some((q) => q.clients === 1),
        ),
      'a to rejoin',
    );
  });
});
